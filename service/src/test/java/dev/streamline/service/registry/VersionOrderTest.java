package dev.streamline.service.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VersionOrderTest {

  @Test
  void numbersCompareByValueAndAPrefixComesFirst() {
    List<String> oldestFirst = Arrays.asList(null, "0.9", "1", "1.2", "1.2.1", "1.9", "1.10",
        "1.10-rc1", "2", "10", "2026.1.5", "2026.12.6", "99999999999999999999", "v9", "v10");
    List<String> shuffled = new ArrayList<>(oldestFirst);
    Collections.shuffle(shuffled, new Random(7));
    shuffled.sort(VersionOrder.OLDEST_FIRST);
    assertThat(shuffled).containsExactlyElementsOf(oldestFirst);
  }

  @Test
  void versionsEqualInValueStillHaveAnOrder() {
    assertThat(VersionOrder.OLDEST_FIRST.compare("01", "1")).isNegative();
    assertThat(VersionOrder.OLDEST_FIRST.compare("1", "01")).isPositive();
    assertThat(VersionOrder.OLDEST_FIRST.compare("1.0", "1.0")).isZero();
    assertThat(VersionOrder.OLDEST_FIRST.compare("007", "8")).isNegative();
  }
}
