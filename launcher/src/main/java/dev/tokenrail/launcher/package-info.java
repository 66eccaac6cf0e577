/** Tokenrail in one JVM, and the one way every process assembles it: {@link dev.tokenrail.launcher.Launcher#deploy}. */
package dev.tokenrail.launcher;
