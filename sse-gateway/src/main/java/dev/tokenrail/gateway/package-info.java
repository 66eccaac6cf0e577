/** The SSE gateway: its verticle, which wires the packages below and holds the route table, its configuration and its {@code main}. */
package dev.tokenrail.gateway;
