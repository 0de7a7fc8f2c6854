package dev.streamline.sampler;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The knobs one job sets, each a {@link SamplerOption}; an option left out means "the sampler's
 * default". Checked on the way in: types and ranges as declared, and a time grid and x0 guard
 * that can be built.
 */
public final class SamplerOptions {

  public static final SamplerOptions DEFAULT = new SamplerOptions(Map.of());

  /** What a grid kind brings with it: the kind and the knobs that shape it. */
  private static final Set<SamplerOption> GRID_KNOBS = EnumSet.of(SamplerOption.TIME_GRID,
      SamplerOption.RHO, SamplerOption.BETA_ALPHA, SamplerOption.BETA_BETA,
      SamplerOption.AYS_MODEL);

  private final Map<SamplerOption, Object> values;
  private final TimeGrid grid;
  private final X0Guard guard;

  private SamplerOptions(Map<SamplerOption, ?> given) {
    EnumMap<SamplerOption, Object> checked = new EnumMap<>(SamplerOption.class);
    given.forEach((option, value) -> {
      if (value != null) {
        checked.put(option, option.check(value));
      }
    });
    if (checked.containsKey(SamplerOption.CLIP) && checked.containsKey(SamplerOption.THRESHOLD)) {
      throw new InvalidJobException("clip and threshold both guard x0; choose one");
    }
    this.values = Collections.unmodifiableMap(checked);
    boolean sigmas = checked.containsKey(SamplerOption.SIGMAS);
    boolean timesteps = checked.containsKey(SamplerOption.TIMESTEPS);
    if (sigmas && timesteps) {
      throw new InvalidJobException("sigmas and timesteps both lay out the steps; give one");
    }
    SamplerOption list = sigmas ? SamplerOption.SIGMAS
        : timesteps ? SamplerOption.TIMESTEPS : null;
    @SuppressWarnings("unchecked")
    TimeGrid.Listed listed = list == null ? null
        : new TimeGrid.Listed(list, (List<Double>) checked.get(list));
    this.grid = new TimeGrid((TimeGrid.Kind) checked.get(SamplerOption.TIME_GRID),
        number(SamplerOption.RHO, Double.NaN), number(SamplerOption.SHIFT, 1.0),
        number(SamplerOption.BETA_ALPHA, Double.NaN), number(SamplerOption.BETA_BETA, Double.NaN),
        (AlignYourSteps.Family) checked.get(SamplerOption.AYS_MODEL), listed);
    this.guard = checked.containsKey(SamplerOption.CLIP)
        ? X0Guard.clip(number(SamplerOption.CLIP, 0))
        : checked.containsKey(SamplerOption.THRESHOLD)
            ? X0Guard.dynamic(number(SamplerOption.THRESHOLD, 0)) : X0Guard.NONE;
  }

  /**
   * @param values by option; a null value is left out
   * @throws InvalidJobException for a value of the wrong type or range, or clip with threshold
   */
  public static SamplerOptions of(Map<SamplerOption, ?> values) {
    return values.isEmpty() ? DEFAULT : new SamplerOptions(values);
  }

  /** These options with one more set (or replaced). */
  public SamplerOptions with(SamplerOption option, Object value) {
    Map<SamplerOption, Object> next = new EnumMap<>(SamplerOption.class);
    next.putAll(values);
    next.put(option, value);
    return new SamplerOptions(next);
  }

  /**
   * These options over a model's defaults: each default that the sampler reads (and, for a
   * choice, takes) and this job leaves unset is added, except a default x0 guard where the job
   * chose either guard, the default grid's knobs where the job chose another grid, and every
   * grid default (shift too) where the job gave its own list.
   */
  public SamplerOptions over(SamplerOptions defaults, SamplerSpec sampler) {
    Map<SamplerOption, Object> merged = new EnumMap<>(SamplerOption.class);
    boolean guarded = values.containsKey(SamplerOption.CLIP)
        || values.containsKey(SamplerOption.THRESHOLD);
    boolean listed = grid.listed() != null;
    boolean otherGrid = listed || values.containsKey(SamplerOption.TIME_GRID)
        && values.get(SamplerOption.TIME_GRID) != defaults.values.get(SamplerOption.TIME_GRID);
    defaults.values.forEach((option, value) -> {
      boolean guard = option == SamplerOption.CLIP || option == SamplerOption.THRESHOLD;
      boolean gridKnob = GRID_KNOBS.contains(option);
      if (sampler.options().contains(option.id()) && sampler.takes(option, value)
          && !(guard && guarded) && !(gridKnob && otherGrid)
          && !(option == SamplerOption.SHIFT && listed)) {
        merged.put(option, value);
      }
    });
    merged.putAll(values);
    return merged.equals(values) ? this : new SamplerOptions(merged);
  }

  /** The options set, in declaration order. */
  public Set<SamplerOption> given() {
    return values.keySet();
  }

  /** The value set for an option (as {@link SamplerOption#check} types it), or null. */
  public Object value(SamplerOption option) {
    return values.get(option);
  }

  public double number(SamplerOption option, double fallback) {
    Object value = values.get(option);
    return value == null ? fallback : (Double) value;
  }

  public int integer(SamplerOption option, int fallback) {
    Object value = values.get(option);
    return value == null ? fallback : (Integer) value;
  }

  /** The value of a {@link SamplerOption.Type#CHOICE} option, or the fallback. */
  public String choice(SamplerOption option, String fallback) {
    Object value = values.get(option);
    return value == null ? fallback : (String) value;
  }

  public boolean flag(SamplerOption option) {
    return Boolean.TRUE.equals(values.get(option));
  }

  /** The step placement of fixed-step samplers. */
  public TimeGrid grid() {
    return grid;
  }

  public X0Guard x0Guard() {
    return guard;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SamplerOptions o && values.equals(o.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
