/** HTTP plumbing every route shares: error bodies, JSON bodies, the calling subject and the conversation key, trace context, request size policy. */
package dev.tokenrail.gateway.http;
