/** The conversations' recent turns a worker holds per memory partition, their restore from the compacted memory topic, and the window of them a prompt gets. */
package dev.tokenrail.worker.memory;
