/** Who may call and how much: bearer-token authentication, per-subject message rate and stream caps, cross-origin policy. */
package dev.tokenrail.gateway.access;
