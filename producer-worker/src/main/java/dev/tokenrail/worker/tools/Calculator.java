package dev.tokenrail.worker.tools;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Arithmetic on numbers with {@code + - * / ^}, unary minus and parentheses, by a recursive-descent parser
 * — no script engine, no eval, nothing but numbers can come out of it. {@code ^} binds tightest and
 * groups to the right ({@code 2^3^2 = 2^9}); unary minus binds looser than {@code ^} ({@code -2^2 = -4}),
 * as in mathematics.
 *
 * <pre>
 * expression = term { ("+" | "-") term }
 * term       = unary { ("*" | "/") unary }
 * unary      = ("-" | "+") unary | power
 * power      = primary [ "^" unary ]
 * primary    = number | "(" expression ")"
 * </pre>
 */
public final class Calculator {

  /** Longer input is refused before parsing: nobody types it, and it bounds the work. */
  public static final int MAX_LENGTH = 1_000;
  private static final int MAX_DEPTH = 100;

  private final String input;
  private int pos;
  private int depth;

  private Calculator(String input) {
    this.input = input;
  }

  /** The value of {@code expression}. */
  public static double evaluate(String expression) throws ToolException {
    if (expression == null || expression.isBlank()) {
      throw new ToolException("The expression is empty.");
    }
    if (expression.length() > MAX_LENGTH) {
      throw new ToolException("The expression is longer than " + MAX_LENGTH + " characters.");
    }
    Calculator parser = new Calculator(expression);
    double value = parser.expression();
    parser.skipSpaces();
    if (parser.pos < expression.length()) {
      throw parser.error("unexpected '" + expression.charAt(parser.pos) + "'");
    }
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new ToolException("The result is not a finite number.");
    }
    return value;
  }

  /** A value as people write it: integers without a decimal point, others to 15 significant digits. */
  public static String format(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    BigDecimal rounded = new BigDecimal(value).round(new MathContext(15)).stripTrailingZeros();
    return Math.abs(value) < 1e15 && Math.abs(value) >= 1e-6 ? rounded.toPlainString() : rounded.toString();
  }

  private double expression() throws ToolException {
    enter();
    double value = term();
    while (true) {
      if (eat('+')) {
        value += term();
      } else if (eat('-')) {
        value -= term();
      } else {
        depth--;
        return value;
      }
    }
  }

  private double term() throws ToolException {
    double value = unary();
    while (true) {
      if (eat('*')) {
        value *= unary();
      } else if (eat('/')) {
        int at = pos;
        double divisor = unary();
        if (divisor == 0) {
          throw new ToolException("Division by zero at position " + (at + 1) + ".");
        }
        value /= divisor;
      } else {
        return value;
      }
    }
  }

  private double unary() throws ToolException {
    enter();
    double value;
    if (eat('-')) {
      value = -unary();
    } else if (eat('+')) {
      value = unary();
    } else {
      value = power();
    }
    depth--;
    return value;
  }

  private double power() throws ToolException {
    double base = primary();
    if (eat('^')) {
      return Math.pow(base, unary());
    }
    return base;
  }

  private double primary() throws ToolException {
    if (eat('(')) {
      double value = expression();
      if (!eat(')')) {
        throw error("missing ')'");
      }
      return value;
    }
    skipSpaces();
    int start = pos;
    while (pos < input.length() && (Character.isDigit(input.charAt(pos)) || input.charAt(pos) == '.')) {
      pos++;
    }
    if (start == pos) {
      throw error(pos < input.length() ? "unexpected '" + input.charAt(pos) + "'" : "the expression ends too soon");
    }
    String number = input.substring(start, pos);
    if (number.chars().filter(c -> c == '.').count() > 1 || number.equals(".")) {
      throw new ToolException("'" + number + "' is not a number (position " + (start + 1) + ").");
    }
    return Double.parseDouble(number);
  }

  private boolean eat(char c) {
    skipSpaces();
    if (pos < input.length() && input.charAt(pos) == c) {
      pos++;
      return true;
    }
    return false;
  }

  private void skipSpaces() {
    while (pos < input.length() && Character.isWhitespace(input.charAt(pos))) {
      pos++;
    }
  }

  private void enter() throws ToolException {
    if (++depth > MAX_DEPTH) {
      throw new ToolException("The expression nests deeper than " + MAX_DEPTH + " levels.");
    }
  }

  private ToolException error(String what) {
    return new ToolException("Cannot read the expression: " + what + " at position " + (pos + 1) + ".");
  }
}
