package dev.tokenrail.worker.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CalculatorTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '=', value = {
      "1 + 2 = 3",
      "(2 + 3) * 4 = 20",
      "2 + 3 * 4 = 14",
      "10 / 4 = 2.5",
      "2 ^ 10 = 1024",
      "2 ^ 3 ^ 2 = 512",          // right-associative
      "-2 ^ 2 = -4",              // unary minus binds looser than ^
      "2 ^ -1 = 0.5",
      "--3 = 3",
      "8 - 3 - 2 = 3",            // left-associative
      "((1.5)) * 2 = 3",
      "0.1 + 0.2 = 0.3",
      "1 / 3 = 0.333333333333333",
      "  7   = 7",
      "123456789 * 1000 = 123456789000",
  })
  void evaluatesArithmetic(String expression, String expected) throws ToolException {
    assertThat(Calculator.format(Calculator.evaluate(expression))).isEqualTo(expected.trim());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "1 +", "(1 + 2", "1 + 2)", "2 ** 3", "1..2", ".", "abc", "1 / 0", "1 / (2 - 2)",
      "System.exit(0)", "java.lang.Runtime", "9^9^9", "1e3", "2 3"})
  void refusesWhatIsNotArithmetic(String expression) {
    assertThatThrownBy(() -> Calculator.evaluate(expression)).isInstanceOf(ToolException.class)
        .hasMessageNotContaining("Exception");
  }

  @ParameterizedTest
  @ValueSource(ints = {60, 400})
  void deepNestingIsRefusedNotAStackOverflow(int depth) {
    String nested = "(".repeat(depth) + "1" + ")".repeat(depth);
    assertThatThrownBy(() -> Calculator.evaluate(nested)).isInstanceOf(ToolException.class).hasMessageContaining("nests");
  }

  @ParameterizedTest
  @ValueSource(ints = {Calculator.MAX_LENGTH + 1})
  void overlongInputIsRefusedBeforeParsing(int length) {
    assertThatThrownBy(() -> Calculator.evaluate("1".repeat(length))).isInstanceOf(ToolException.class)
        .hasMessageContaining("longer");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1 +", "(1 + 2"})
  void errorsSayWhereTheProblemIs(String expression) {
    assertThatThrownBy(() -> Calculator.evaluate(expression)).hasMessageContaining("position");
  }
}
