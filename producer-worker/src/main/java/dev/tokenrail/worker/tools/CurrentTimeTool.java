package dev.tokenrail.worker.tools;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/** {@code current_time}: the date and time now, in an IANA time zone (UTC by default). */
public final class CurrentTimeTool implements Tool {

  public static final String NAME = "current_time";

  private static final ToolSpecification SPECIFICATION = ToolSpecification.builder()
      .name(NAME)
      .description("Returns the current date and time, in ISO 8601 with the zone's offset and name.")
      .parameters(JsonObjectSchema.builder()
          .addStringProperty("timezone", "An IANA time zone such as Europe/Paris; UTC when left out")
          .build())
      .build();

  private final Clock clock;

  public CurrentTimeTool(Clock clock) {
    this.clock = clock;
  }

  public CurrentTimeTool() {
    this(Clock.systemUTC());
  }

  @Override
  public ToolSpecification specification() {
    return SPECIFICATION;
  }

  @Override
  public String execute(JsonObject arguments) throws ToolException {
    Object zoneArgument = arguments.getValue("timezone");
    ZoneId zone;
    if (zoneArgument == null || (zoneArgument instanceof String s && s.isBlank())) {
      zone = ZoneOffset.UTC;
    } else if (zoneArgument instanceof String name && name.length() <= 64) {
      try {
        zone = ZoneId.of(name);
      } catch (DateTimeException e) {
        throw new ToolException("Unknown time zone '" + name + "'; use an IANA name such as Europe/Paris.");
      }
    } else {
      throw new ToolException("The argument 'timezone' must be an IANA time zone name.");
    }
    return ZonedDateTime.now(clock.withZone(zone)).withNano(0).format(DateTimeFormatter.ISO_ZONED_DATE_TIME);
  }
}
