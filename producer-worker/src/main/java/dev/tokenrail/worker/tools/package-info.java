/** The tools a worker offers the model (calculator, current time) and the toolbox that runs them off the event loop with a timeout. */
package dev.tokenrail.worker.tools;
