package dev.tokenrail.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Typed, validating access to the fields of one JSON object. */
record Fields(JsonObject json) {

  private static final JsonFactory JSON = new JsonFactory();
  /** Stands for a nested object or array in a flat read: present, but no scalar. */
  private static final Object NESTED = new Object();

  /**
   * The top-level fields of a JSON object whose values that matter are scalars or arrays of strings; other
   * nested values are skipped (and fail any typed access). Rejects what {@link #parse} rejects: empty input,
   * malformed JSON, anything but one object.
   */
  static Fields parseFlat(Buffer value) {
    if (value == null || value.length() == 0) {
      throw new ProtocolException("empty record");
    }
    JsonObject fields = new JsonObject(new java.util.HashMap<>(16));
    try (JsonParser p = JSON.createParser(value.getBytes())) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new ProtocolException("expected a JSON object");
      }
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        Object scalar = switch (v) {
          case VALUE_STRING -> p.getText();
          case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
              ? (Object) p.getDoubleValue() // out of range: fails as "must be an integer"
              : (Object) p.getLongValue();
          case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
          case VALUE_TRUE -> Boolean.TRUE;
          case VALUE_FALSE -> Boolean.FALSE;
          case VALUE_NULL -> null;
          case START_ARRAY -> strings(p);
          case START_OBJECT -> {
            p.skipChildren();
            yield NESTED;
          }
          default -> throw new ProtocolException("malformed JSON");
        };
        fields.getMap().put(name, scalar);
      }
      if (p.nextToken() != null) {
        throw new ProtocolException("malformed JSON: content after the object");
      }
    } catch (java.io.IOException e) { // JsonParseException and the parser's other read errors
      throw new ProtocolException("malformed JSON", e);
    }
    return new Fields(fields);
  }

  /** At an array's start: its strings, or {@link #NESTED} (the rest skipped) at its first value of another kind. */
  private static Object strings(JsonParser p) throws java.io.IOException {
    List<String> strings = new ArrayList<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.VALUE_STRING) {
        p.skipChildren();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          p.skipChildren();
        }
        return NESTED;
      }
      strings.add(p.getText());
    }
    return strings;
  }

  static Fields parse(Buffer value) {
    if (value == null || value.length() == 0) {
      throw new ProtocolException("empty record");
    }
    Object parsed;
    try {
      parsed = value.toJsonValue();
    } catch (DecodeException e) {
      throw new ProtocolException("malformed JSON", e);
    }
    if (!(parsed instanceof JsonObject object)) {
      throw new ProtocolException("expected a JSON object");
    }
    return new Fields(object);
  }

  String string(String name) {
    return required(name, String.class);
  }

  JsonArray array(String name) {
    return required(name, JsonArray.class);
  }

  /** An array of strings, as {@link #parseFlat} reads one. */
  @SuppressWarnings("unchecked")
  List<String> strings(String name) {
    Object v = json.getMap().get(name);
    if (v == null) {
      throw new ProtocolException("missing field '" + name + "'");
    }
    if (!(v instanceof List<?>)) {
      throw new ProtocolException("field '" + name + "' must be an array of strings");
    }
    return (List<String>) v;
  }

  /** An array that may be absent: empty then. */
  JsonArray optionalArray(String name) {
    return json.getValue(name) == null ? new JsonArray() : array(name);
  }

  java.util.Optional<JsonObject> optionalObject(String name) {
    Object value = json.getValue(name);
    if (value != null && !(value instanceof JsonObject)) {
      throw new ProtocolException("field '" + name + "' must be an object");
    }
    return java.util.Optional.ofNullable((JsonObject) value);
  }

  boolean optionalBool(String name) {
    return json.getValue(name) != null && bool(name);
  }

  boolean bool(String name) {
    return required(name, Boolean.class);
  }

  long longValue(String name) {
    Number n = required(name, Number.class);
    if (n instanceof Double || n instanceof Float) {
      throw new ProtocolException("field '" + name + "' must be an integer");
    }
    return n.longValue();
  }

  int intValue(String name) {
    long v = longValue(name);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new ProtocolException("field '" + name + "' is out of range");
    }
    return (int) v;
  }

  private <T> T required(String name, Class<T> type) {
    Object v = json.getValue(name);
    if (v == null) {
      throw new ProtocolException("missing field '" + name + "'");
    }
    if (!type.isInstance(v)) {
      throw new ProtocolException("field '" + name + "' must be a " + type.getSimpleName().toLowerCase());
    }
    return type.cast(v);
  }
}
