// nginx (njs) in front of gateway groups: sends each request to the group that owns its conversation's partition,
// computed the way Kafka's default partitioner and the gateways compute it, so most requests never see a redirect.
//
//   partition = (murmur2(utf8(key)) & 0x7fffffff) % partitions
//   key       = conversation id, or with authentication "~" + base64url(sha256(subject))[0..22) + "~" + id
//
// The conversation comes from, as the gateways read it: the path (/api/conversations/{id}, /api/chat/{id},
// /v1/responses/resp_...); the JSON body ({"id"} of POST /api/chat, "conversation_id" of /v1/chat/completions, else its
// X-Conversation-Id header, "previous_response_id" of /v1/responses); else Last-Event-ID, which carries the partition
// (1.<partition>.<offset>[.<part>], base 36). Requests naming none (health, a new stateless completion, a new response) go to
// any group: the gateway gives a new conversation an id in its own partitions. Where this script and the gateways disagree (a partition count or range changed on one side only), the
// gateway answers 307 to the right group, so a mistake here costs a redirect, never a wrong answer.
//
// Settings, as nginx variables set in the server block:
//   $tokenrail_partitions  the topics' partition count (TOKENRAIL_PARTITIONS)
//   $tokenrail_groups      "0-5=@group_a,6-11=@group_b": each group's partitions and its named location, written as
//                          TOKENRAIL_GATEWAY_ROUTES is ("0-2,9=@group_a,3-8,10-11=@group_b" works too)
//   $tokenrail_subject_keys "on" when the gateways authenticate (keys then include the token's subject)
import crypto from 'crypto';

var ID = '[A-Za-z0-9_-]{1,64}';
var PATH_ID = new RegExp('^/api/(?:conversations|chat)/(' + ID + ')(?:/|$)');
var RESPONSE_ID = new RegExp('^/v1/responses/resp_[0-9a-f]{32}(' + ID + ')(?:/|$)');
var VALID_ID = new RegExp('^' + ID + '$');

// Kafka's Utils.murmur2 of a key's bytes. Keys are ASCII (ids are [A-Za-z0-9_-], the subject's hash base64url).
function murmur2(bytes) {
  var length = bytes.length;
  var m = 0x5bd1e995;
  var h = 0x9747b28c ^ length;
  var length4 = length >> 2;
  for (var i = 0; i < length4; i++) {
    var i4 = i * 4;
    var k = (bytes.charCodeAt(i4) & 0xff) | ((bytes.charCodeAt(i4 + 1) & 0xff) << 8)
        | ((bytes.charCodeAt(i4 + 2) & 0xff) << 16) | ((bytes.charCodeAt(i4 + 3) & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  var tail = length & ~3;
  switch (length % 4) {
    case 3: h ^= (bytes.charCodeAt(tail + 2) & 0xff) << 16;
    // falls through
    case 2: h ^= (bytes.charCodeAt(tail + 1) & 0xff) << 8;
    // falls through
    case 1: h ^= bytes.charCodeAt(tail) & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

function partitionOfKey(key, partitions) {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

// The token's subject, unverified: the gateway verifies it. A forged token only picks a group, whose gateway refuses it.
function subject(r) {
  var auth = r.headersIn.Authorization || '';
  var token = /^bearer /i.test(auth) ? auth.substring(7).trim() : r.args.access_token;
  if (!token) {
    return null;
  }
  try {
    var claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    return typeof claims.sub === 'string' ? claims.sub : null;
  } catch (e) {
    return null;
  }
}

function keyOf(r, conversationId) {
  if (r.variables.tokenrail_subject_keys !== 'on') {
    return conversationId;
  }
  var sub = subject(r);
  if (sub === null) {
    return conversationId; // the gateway answers 401 whichever group it is
  }
  return subjectKey(sub, conversationId);
}

// ConversationIds.kafkaKey(subject, id): the subject appears only as a hash.
function subjectKey(sub, conversationId) {
  var hash = crypto.createHash('sha256').update(sub).digest('base64url');
  return '~' + hash.substring(0, 22) + '~' + conversationId;
}

// The conversation a POST's JSON body names, as the route that reads it does.
function conversationOfBody(r) {
  if (r.method !== 'POST' || !r.requestText) {
    return null;
  }
  try {
    var body = JSON.parse(r.requestText);
    if (r.uri === '/api/chat') {
      return typeof body.id === 'string' ? body.id : null;
    }
    if (r.uri === '/v1/chat/completions') {
      return typeof body.conversation_id === 'string' ? body.conversation_id : null;
    }
    var previous = r.uri === '/v1/responses' && typeof body.previous_response_id === 'string'
        && RESPONSE_ID.exec('/v1/responses/' + body.previous_response_id);
    return previous ? previous[1] : null;
  } catch (e) {
    return null;
  }
}

// The partition of the request's conversation, or -1 when it names none.
function partitionOf(r, partitions) {
  var m = PATH_ID.exec(r.uri) || RESPONSE_ID.exec(r.uri);
  var id = m ? m[1] : conversationOfBody(r);
  if (!id && r.uri === '/v1/chat/completions') {
    id = r.headersIn['X-Conversation-Id'];
  }
  if (id) {
    return VALID_ID.test(id) ? partitionOfKey(keyOf(r, id), partitions) : -1;
  }
  var position = /^1\.([0-9a-z]{1,6})\.[0-9a-z]{1,13}(\.[0-9a-z]{1,2})?$/.exec(r.headersIn['Last-Event-ID'] || r.args.lastEventId || '');
  var partition = position ? parseInt(position[1], 36) : -1;
  return partition < partitions ? partition : -1;
}

// "0-2,9=@a,3-8,10-11=@b": commas separate groups and also a group's ranges; a piece without '=' is a range of the
// group that follows (GroupSettings reads TOKENRAIL_GATEWAY_ROUTES the same way).
function groups(text) {
  var all = [];
  var ranges = [];
  text.split(',').forEach(function (piece) {
    var parts = piece.trim().split('=');
    ranges.push(parts[0]);
    if (parts.length === 2) {
      all.push({ranges: ranges.map(function (range) {
        var ends = range.trim().split('-');
        return {from: +ends[0], to: +(ends[1] || ends[0])};
      }), location: parts[1].trim()});
      ranges = [];
    }
  });
  return all;
}

function owner(all, partition) {
  return all.filter(function (g) {
    return g.ranges.some(function (range) { return partition >= range.from && partition <= range.to; });
  })[0];
}

function route(r) {
  var all = groups(r.variables.tokenrail_groups);
  var group = owner(all, partitionOf(r, +r.variables.tokenrail_partitions));
  r.internalRedirect((group || all[Math.floor(Math.random() * all.length)]).location);
}

// route is nginx's (js_content); the rest let a test hold this script's arithmetic against the gateways'.
export default {route, partitionOf, partitionOfKey, subjectKey, groups, owner};
