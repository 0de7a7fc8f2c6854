package dev.streamline.service.registry;

import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of a model's versions is the newest. Versions compare run by run, a run being digits or
 * the characters between them: digit runs by their value ({@code 1.10} after {@code 1.9},
 * {@code v10} after {@code v9}, {@code 2} after {@code 1.9.9}), other runs by their characters,
 * and a version that begins another comes before it ({@code 1.2} before {@code 1.2.1}). Words
 * carry no meaning of their own, so {@code 1.0-rc1} comes after {@code 1.0}. No version comes
 * before every version. Versions equal in value but not in spelling ({@code 01}, {@code 1})
 * follow their characters, so that the order is total.
 */
public final class VersionOrder {

  /** Oldest first; null (no version) before all. */
  public static final Comparator<String> OLDEST_FIRST =
      Comparator.nullsFirst(VersionOrder::compare);

  private static final Pattern RUN = Pattern.compile("\\d+|\\D+");

  private VersionOrder() {}

  private static int compare(String a, String b) {
    Matcher x = RUN.matcher(a);
    Matcher y = RUN.matcher(b);
    while (true) {
      boolean left = x.find();
      boolean right = y.find();
      if (!left || !right) {
        return left ? 1 : right ? -1 : a.compareTo(b);
      }
      String p = x.group();
      String q = y.group();
      int order = Character.isDigit(p.charAt(0)) && Character.isDigit(q.charAt(0))
          ? compareNumbers(p, q) : p.compareTo(q);
      if (order != 0) {
        return order;
      }
    }
  }

  /** Digit strings by value, of any length. */
  private static int compareNumbers(String p, String q) {
    String a = p.replaceFirst("^0+(?=.)", "");
    String b = q.replaceFirst("^0+(?=.)", "");
    return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
  }
}
