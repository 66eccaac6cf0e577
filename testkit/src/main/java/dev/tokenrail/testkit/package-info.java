/** What the tests share: an SSE client independent of the code under test, blocking HTTP calls, content assertions on answers. */
package dev.tokenrail.testkit;
