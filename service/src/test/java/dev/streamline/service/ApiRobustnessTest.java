package dev.streamline.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;

/**
 * Whatever a client sends to {@code POST /v1/models/{id}/samples}, bad input gets a 4xx RFC 9457
 * problem whose detail a person can act on, good input a 200 whose body parses: never a 5xx, a
 * hang, or an error or stack trace in the log. A property over generated requests that mix valid
 * and invalid values of every field (by the catalog's samplers and their options) with good and
 * bad Accept and Content-Type headers; each case knows whether it is good, bad, or either
 * (values that may only fail while sampling). Then every body of a list that is not a request at
 * all.
 *
 * <p>A case is drawn from a sequence of choices ({@link Choices}); one that fails is shrunk by
 * replaying its choices made smaller. Every list of alternatives starts with the simplest (mostly:
 * leave the field out), so the case reported is a near-minimal request. The build runs a fixed
 * seed, so its result does not change from run to run; {@code -Dstreamline.robustness.seed=random}
 * explores new ones (the seed is named in a failure, and {@code -Dstreamline.robustness.seed=N}
 * replays it).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "streamline.bundled-models=false", "streamline.model-dirs=" + ServiceTest.MODELS})
@Import(ServiceTest.Fixtures.class)
@ExtendWith(OutputCaptureExtension.class)
class ApiRobustnessTest extends HttpTest {

  /** Enough to meet every kind of value a few times; more with -Dstreamline.robustness.tries. */
  private static final int TRIES = Integer.getInteger("streamline.robustness.tries", 250);
  private static final int SHRINK_ATTEMPTS = 300;
  /**
   * No answer past the service's own request limit (60 s, then a 504) is a hang; a legitimate
   * adaptive run on the U-Net can take over 30 s on a busy 2-core machine.
   */
  private static final Duration HANG = Duration.ofSeconds(75);
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  /** Sampler id to the options it reads, and the served models, from the catalog. */
  private final Map<String, List<String>> samplers = new HashMap<>();
  private final Set<String> adaptive = new HashSet<>();
  private final Map<String, Model> models = new HashMap<>();
  private CapturedOutput log;
  private int logChecked;

  /** What a request deserves: a 200, a 4xx, or either (but never a 5xx). */
  enum Expect {
    OK, REJECT, EITHER;

    Expect and(Expect other) {
      return this == REJECT || other == REJECT ? REJECT
          : this == EITHER || other == EITHER ? EITHER : OK;
    }
  }

  /**
   * A served model as the catalog describes it.
   *
   * @param decoded a latent model's decoded shape, else null
   */
  record Model(String id, List<Integer> shape, List<Integer> decoded, int classes,
      String defaultSampler) {

    /** One answered sample's shape: a latent model's decoded one, unless latents were asked. */
    List<Integer> answered(boolean latents) {
      return latents || decoded == null ? shape : decoded;
    }

    int size(boolean latents) {
      return answered(latents).stream().reduce(1, (a, b) -> a * b);
    }

    /** PNG answers are decoded images. */
    boolean image(boolean latents) {
      return !latents && answered(false).size() == 3;
    }
  }

  private static boolean asksForLatents(Case c) {
    return c.body().contains("\"output\":\"latent\"");
  }

  /** One field of a JSON object, absent when {@code json} is null. */
  record Field(String name, String json, Expect expect) {
    boolean given() {
      return json != null && !json.equals("null");
    }
  }

  /** A header value (null: not sent). */
  record Header(String value, Expect expect) {}

  /**
   * One request; {@code rows} is the number of samples a 200 holds (0: not known). The body goes
   * out as ISO-8859-1 when {@code latin1}, to send bytes that are not UTF-8.
   */
  record Case(String model, String accept, String contentType, String body, boolean latin1,
      int rows, Expect expect) {
    @Override
    public String toString() {
      String shown = body.length() > 400
          ? body.substring(0, 400) + "... (" + body.length() + " chars)" : body;
      return expect + ": POST /v1/models/" + model + "/samples, Accept: " + accept
          + ", Content-Type: " + contentType + (latin1 ? " (sent as latin-1)" : "") + ", body: "
          + shown;
    }
  }

  @Test
  void everySampleRequestGetsA200OrAnActionable4xx(CapturedOutput output) {
    readCatalog(output);
    Map<Expect, Integer> expected = new EnumMap<>(Expect.class);
    Map<Integer, Integer> statuses = new TreeMap<>();
    forAll(this::sampleRequest, (c, status) -> {
      expected.merge(c.expect(), 1, Integer::sum);
      statuses.merge(status, 1, Integer::sum);
    });
    // The generator still makes both: good requests and bad ones.
    assertThat(expected.getOrDefault(Expect.OK, 0)).as("good requests of %s", expected)
        .isGreaterThan(TRIES / 10);
    assertThat(expected.getOrDefault(Expect.REJECT, 0)).as("bad requests of %s", expected)
        .isGreaterThan(TRIES / 3);
    assertThat(statuses.getOrDefault(200, 0)).as("200s of %s", statuses).isGreaterThan(TRIES / 10);
  }

  @Test
  void everyBodyThatIsNotARequestGetsAnActionable400(CapturedOutput output) {
    readCatalog(output);
    for (Case c : rawBodies()) {
      AssertionError failure = failure(c);
      if (failure != null) {
        throw new AssertionError(failure.getMessage() + "\n  case: " + c, failure);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The property: a check, random cases, and shrinking.

  private void readCatalog(CapturedOutput output) {
    log = output;
    for (JsonNode sampler : get("/v1/samplers").get("samplers")) {
      List<String> options = new ArrayList<>();
      sampler.get("options").forEach(o -> options.add(o.asString()));
      samplers.put(sampler.get("id").asString(), options);
      if (sampler.get("adaptive").asBoolean()) {
        adaptive.add(sampler.get("id").asString());
      }
    }
    for (JsonNode model : get("/v1/models").get("models")) {
      List<Integer> shape = new ArrayList<>();
      model.get("shape").forEach(d -> shape.add(d.asInt()));
      List<Integer> decoded = null;
      if (model.has("latent")) {
        decoded = new ArrayList<>();
        for (JsonNode d : model.get("latent").get("decodedShape")) {
          decoded.add(d.asInt());
        }
      }
      Model m = new Model(model.get("id").asString(), shape, decoded, model.get("classes").size(),
          model.get("defaultSampler").asString());
      models.put(m.id(), m);
    }
    assertThat(models).containsOnlyKeys("analytic-gmm-flow", "analytic-gmm-vp", "tiny-unet",
        "vp-cos-v", "flow-sd3-latent", "no-gradient");
    logChecked = log.getAll().length();
  }

  private JsonNode get(String path) {
    try {
      HttpResponse<byte[]> response = CLIENT.send(HttpRequest.newBuilder(
              URI.create("http://localhost:" + port + path)).timeout(HANG).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(response.statusCode()).as("GET " + path).isEqualTo(200);
      return Http.json(response);
    } catch (IOException e) {
      throw new AssertionError("GET " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@link #TRIES} cases of the generator; fails with the first failing case, shrunk. */
  private void forAll(Function<Choices, Case> generator, Statistics statistics) {
    String given = System.getProperty("streamline.robustness.seed", "1");
    long seed = given.equals("random") ? new Random().nextLong() : Long.parseLong(given);
    Random random = new Random(seed);
    for (int i = 0; i < TRIES; i++) {
      Choices choices = new Choices(random, null);
      Case c = generator.apply(choices);
      int[] status = {0};
      AssertionError failure = failure(c, status);
      if (failure != null) {
        Shrunk shrunk = shrink(generator, new Shrunk(choices.drawn, c, failure));
        throw new AssertionError("try " + (i + 1) + " of seed " + seed
            + " (-Dstreamline.robustness.seed=" + seed + " replays it): "
            + shrunk.failure().getMessage() + "\n  shrunk case: " + shrunk.c()
            + "\n  first case: " + c, shrunk.failure());
      }
      statistics.count(c, status[0]);
    }
  }

  /** Counts what the cases were and what they got. */
  interface Statistics {
    void count(Case c, int status);
  }

  private record Shrunk(List<Integer> choices, Case c, AssertionError failure) {}

  /**
   * Tries each choice at 0, halved, one less, and left out, keeping any replay that still fails
   * and draws a shorter, or as long and smaller, sequence (so shrinking ends).
   */
  private Shrunk shrink(Function<Choices, Case> generator, Shrunk failing) {
    Shrunk best = failing;
    int attempts = 0;
    boolean improved = true;
    while (improved && attempts < SHRINK_ATTEMPTS) {
      improved = false;
      for (int i = 0; i < best.choices().size() && !improved && attempts < SHRINK_ATTEMPTS; i++) {
        int value = best.choices().get(i);
        List<List<Integer>> candidates = new ArrayList<>();
        for (int smaller : new int[] {0, value / 2, value - 1}) {
          if (smaller >= 0 && smaller < value) {
            List<Integer> candidate = new ArrayList<>(best.choices());
            candidate.set(i, smaller);
            candidates.add(candidate);
          }
        }
        List<Integer> removed = new ArrayList<>(best.choices());
        removed.remove(i);
        candidates.add(removed);
        for (List<Integer> candidate : candidates) {
          Choices replay = new Choices(null, candidate);
          Case c = generator.apply(replay);
          if (!simpler(replay.drawn, best.choices())) {
            continue;
          }
          attempts++;
          AssertionError failure = failure(c, new int[1]);
          if (failure != null) {
            best = new Shrunk(replay.drawn, c, failure);
            improved = true;
            break;
          }
        }
      }
    }
    return best;
  }

  private static boolean simpler(List<Integer> a, List<Integer> b) {
    if (a.size() != b.size()) {
      return a.size() < b.size();
    }
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).equals(b.get(i))) {
        return a.get(i) < b.get(i);
      }
    }
    return false;
  }

  private AssertionError failure(Case c) {
    return failure(c, new int[1]);
  }

  /** Sends the case and checks the answer and the log; the failure, or null. */
  private AssertionError failure(Case c, int[] status) {
    AssertionError failure = null;
    try {
      HttpResponse<byte[]> response = send(c);
      status[0] = response.statusCode();
      check(c, response);
    } catch (AssertionError e) {
      failure = e;
    } catch (IOException | RuntimeException e) {
      failure = new AssertionError("the request failed: " + e, e);
    }
    String written = log.getAll();
    String unchecked = written.substring(Math.min(logChecked, written.length()));
    logChecked = written.length();
    if (unchecked.contains("ERROR") || unchecked.contains("Exception")
        || unchecked.contains("\tat ")) {
      // A failure even when the answer was right: the log is part of the rule.
      failure = new AssertionError((failure == null ? "" : failure.getMessage() + "\n")
          + "the service logged an error or a stack trace:\n" + unchecked, failure);
    }
    return failure;
  }

  private void check(Case c, HttpResponse<byte[]> response) {
    int status = response.statusCode();
    assertThat(status).as("status (%s)", body(response)).isLessThan(500);
    if (c.expect() == Expect.OK) {
      assertThat(status).as("status of a good request (%s)", body(response)).isEqualTo(200);
    } else if (c.expect() == Expect.REJECT) {
      assertThat(status).as("status of a bad request (%s)", body(response)).isBetween(400, 499);
    }
    if (status == 200) {
      assertParses(response, c);
    } else {
      assertThat(status).as("status").isBetween(400, 499);
      assertProblem(response);
    }
  }

  /** The answer, for failure messages. */
  private static String body(HttpResponse<byte[]> response) {
    String text = new String(response.body(), StandardCharsets.UTF_8);
    return response.statusCode() + " " + response.headers().map() + " "
        + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
  }

  private static void assertProblem(HttpResponse<byte[]> response) {
    Problems.assertProblem(response.statusCode(),
        response.headers().firstValue("Content-Type").orElse(null),
        new String(response.body(), StandardCharsets.UTF_8), body(response));
  }

  private void assertParses(HttpResponse<byte[]> response, Case c) {
    String type = response.headers().firstValue("Content-Type").orElse("");
    byte[] body = response.body();
    Model model = models.get(c.model());
    if (type.equals("application/json")) {
      JsonNode json = Http.json(response);
      assertThat(json.get("model").asString()).isEqualTo(c.model());
      assertThat(json.get("samples").isArray()).isTrue();
      if (c.rows() > 0) {
        assertThat(json.get("samples").size()).as("samples").isEqualTo(c.rows());
      }
    } else if (type.equals("application/x-npy")) {
      assertThat(new String(body, 1, 5, StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
      int data = body.length - 10 - ((body[8] & 0xff) | (body[9] & 0xff) << 8);
      int size = model.size(asksForLatents(c));
      assertThat(data % (4 * size)).isZero();
      if (c.rows() > 0) {
        assertThat(data).isEqualTo(4 * size * c.rows());
      }
    } else {
      assertThat(type).as("Content-Type").isEqualTo("image/png");
      assertThat(model.image(asksForLatents(c))).as("decoded images").isTrue();
      assertThat(new String(body, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }
  }

  private HttpResponse<byte[]> send(Case c) throws IOException {
    byte[] body = c.body().getBytes(c.latin1() ? StandardCharsets.ISO_8859_1
        : StandardCharsets.UTF_8);
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create("http://localhost:" + port + "/v1/models/" + c.model() + "/samples"))
        .timeout(HANG)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (c.accept() != null) {
      request.header("Accept", c.accept());
    }
    if (c.contentType() != null) {
      request.header("Content-Type", c.contentType());
    }
    try {
      return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      throw new AssertionError("no answer within " + HANG.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The choices a case is made of: drawn at random, or replayed from a list (a choice past its
   * end is 0, one over its bound the largest allowed).
   */
  static final class Choices {
    private final Random random;
    private final List<Integer> replay;
    final List<Integer> drawn = new ArrayList<>();

    Choices(Random random, List<Integer> replay) {
      this.random = random;
      this.replay = replay;
    }

    /** A number in [0, bound). */
    int below(int bound) {
      int value;
      if (replay == null) {
        value = random.nextInt(bound);
      } else {
        int i = drawn.size();
        value = i < replay.size() ? Math.max(0, Math.min(replay.get(i), bound - 1)) : 0;
      }
      drawn.add(value);
      return value;
    }

    @SafeVarargs
    final <T> T pick(T... options) {
      return options[below(options.length)];
    }

    <T> T pick(List<T> options) {
      return options.get(below(options.size()));
    }

    /** Mostly true: 11 times in 12, so that whole requests are often good. */
    boolean mostly() {
      return below(12) < 11;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Generators. Every list of alternatives starts with the simplest, which shrinking goes to.

  private static Field ok(String name, String json) {
    return new Field(name, json, Expect.OK);
  }

  private static Field bad(String name, String json) {
    return new Field(name, json, Expect.REJECT);
  }

  private static Field either(String name, String json) {
    return new Field(name, json, Expect.EITHER);
  }

  private Case sampleRequest(Choices c) {
    String id = c.below(10) < 9
        ? c.pick("analytic-gmm-flow", "analytic-gmm-vp", "tiny-unet", "flow-sd3-latent")
        : c.pick("nope", "ANALYTIC-GMM-FLOW", "tiny%20unet", "tiny-unet%00", "%2e%2e");
    // An unknown model's requests are built as for one of two coordinates.
    Model model = models.getOrDefault(id, new Model(id, List.of(2), null, 0, "euler"));
    Expect expect = models.containsKey(id) ? Expect.OK : Expect.REJECT;
    Field output = output(c, model);
    Header accept = accept(c, model, "\"latent\"".equals(output.json()));
    Header contentType = contentType(c);
    Field n = n(c);
    int rows = n.expect() == Expect.OK ? Integer.parseInt(n.json()) : 1;
    Field sampler = sampler(c);
    if (id.equals("tiny-unet") && "\"dpm-adaptive\"".equals(sampler.json())) {
      // At its default tolerance (1e-5) dpm-adaptive spends over the 60 s request limit on the
      // U-Net; its requests are tried on the analytic models, whose fields are smooth.
      sampler = ok("sampler", "\"dopri5\"");
    }
    String samplerId = sampler.given() ? unquote(sampler.json()) : model.defaultSampler();
    List<String> reads = samplers.get(samplerId);
    boolean spins = adaptive.contains(samplerId);
    Field labels = labels(c, model, rows);
    List<Field> fields = List.of(n, sampler, steps(c), seed(c), labels,
        guidance(c, labels.given() && labels.expect() != Expect.REJECT, spins),
        latents(c, model, rows, spins), options(c, reads, spins), returnTrajectory(c), output,
        unknownField(c));
    expect = expect.and(accept.expect()).and(contentType.expect());
    for (Field f : fields) {
      expect = expect.and(f.expect());
    }
    return new Case(id, accept.value(), contentType.value(), object(fields), false,
        n.expect() == Expect.OK ? rows : 0, expect);
  }

  private static String object(List<Field> fields) {
    return fields.stream().filter(f -> f.json() != null)
        .map(f -> "\"" + f.name() + "\":" + f.json())
        .collect(Collectors.joining(",", "{", "}"));
  }

  private static String unquote(String json) {
    return json.length() >= 2 && json.startsWith("\"") && json.endsWith("\"")
        ? json.substring(1, json.length() - 1) : json;
  }

  /** The good ones are plain integers: the number of rows. */
  private static Field n(Choices c) {
    if (c.mostly()) {
      return ok("n", Integer.toString(1 + c.below(3)));
    }
    return c.pick(bad("n", null), bad("n", "null"), bad("n", "0"), bad("n", "-1"),
        bad("n", "-2147483648"), bad("n", "1025"), bad("n", "2147483647"),
        bad("n", "2147483648"), bad("n", "1e10"), bad("n", "99999999999999999999"),
        bad("n", "1.5"), bad("n", "\"abc\""), bad("n", "true"), bad("n", "[1]"), bad("n", "{}"),
        bad("n", "2.0"), bad("n", "\"2\""));
  }

  private Field sampler(Choices c) {
    if (c.mostly()) {
      List<Field> good = new ArrayList<>(List.of(ok("sampler", null), ok("sampler", "null")));
      samplers.keySet().stream().sorted().forEach(id -> good.add(ok("sampler", "\"" + id + "\"")));
      return c.pick(good);
    }
    return c.pick(bad("sampler", "\"plms\""), bad("sampler", "\"\""), bad("sampler", "\"EULER\""),
        bad("sampler", "\" heun\""), bad("sampler", "5"), bad("sampler", "[\"euler\"]"),
        bad("sampler", "{}"));
  }

  private static Field steps(Choices c) {
    if (c.mostly()) {
      int steps = c.below(8);
      return steps == 0 ? ok("steps", null) : steps == 1 ? ok("steps", "null")
          : ok("steps", Integer.toString(steps - 1));
    }
    return c.pick(bad("steps", "0"), bad("steps", "-3"), bad("steps", "1001"),
        bad("steps", "2147483648"), bad("steps", "1e12"), bad("steps", "2.5"),
        bad("steps", "\"x\""), bad("steps", "true"), bad("steps", "[]"), bad("steps", "{}"),
        bad("steps", "\"4\""), bad("steps", "4.0"));
  }

  private static Field seed(Choices c) {
    if (c.mostly()) {
      return c.pick(ok("seed", null), ok("seed", "null"), ok("seed", "0"), ok("seed", "42"),
          ok("seed", "123456789012"), ok("seed", "-1"), ok("seed", "9007199254740993"));
    }
    return c.pick(either("seed", "9223372036854775807"), either("seed", "-9223372036854775808"),
        bad("seed", "9223372036854775808"), bad("seed", "-9223372036854775809"),
        bad("seed", "1e30"), bad("seed", "1.5"), bad("seed", "\"x\""), bad("seed", "true"),
        bad("seed", "[]"), bad("seed", "\"42\""));
  }

  /**
   * Values that give an adaptive solver non-finite states (or steps of 1e-300), on which it
   * spends its whole budget of 10,000 evaluations before it gives up: up to a minute each, so
   * left out for adaptive solvers. AdaptiveRungeKutta (sampler-core) should stop at the first
   * non-finite error estimate instead.
   */
  private static final Set<String> SPINS = Set.of("1e6", "1e300", "1e-300", "1e30",
      "3.4028235e38");

  /** One of the fields, less those in {@link #SPINS} for an adaptive solver. */
  private static Field pick(Choices c, boolean spins, Field... fields) {
    return c.pick(Arrays.stream(fields).filter(f -> !spins || !SPINS.contains(f.json()))
        .toList());
  }

  /** Good or bad as the labels make it: any guidance but 1 needs labels. */
  private static Field guidance(Choices c, boolean labelled, boolean spins) {
    Expect needs = labelled ? Expect.OK : Expect.REJECT;
    Expect large = labelled ? Expect.EITHER : Expect.REJECT;
    if (c.mostly()) {
      return labelled ? c.pick(ok("guidance", null), ok("guidance", "null"), ok("guidance", "1"),
          ok("guidance", "3"), ok("guidance", "0"), ok("guidance", "-2"))
          : c.pick(ok("guidance", null), ok("guidance", "null"), ok("guidance", "1"));
    }
    return pick(c, spins, new Field("guidance", "3", needs), new Field("guidance", "1e6", large),
        new Field("guidance", "1e300", large), bad("guidance", "1e400"),
        bad("guidance", "-1e400"), bad("guidance", "\"NaN\""), bad("guidance", "\"Infinity\""),
        bad("guidance", "\"x\""), bad("guidance", "true"), bad("guidance", "[]"));
  }

  private static Field labels(Choices c, Model model, int rows) {
    if (model.classes() == 0) {
      return c.mostly() ? c.pick(ok("labels", null), ok("labels", "null"))
          : c.pick(bad("labels", "[0]"), bad("labels", "0"), bad("labels", "[]"),
              bad("labels", "[null]"), bad("labels", "[-1]"), bad("labels", "\"a\""));
    }
    int k = model.classes();
    if (c.mostly()) {
      // Labels are 0 to k - 1, or -1 for the null class.
      return switch (c.below(4)) {
        case 0 -> c.pick(ok("labels", null), ok("labels", "null"), ok("labels", "2"));
        case 1 -> ok("labels", "[" + (c.below(k + 1) - 1) + "]");
        default -> ok("labels", IntStream.range(0, rows).mapToObj(i -> c.below(k + 1) - 1)
            .map(String::valueOf).collect(Collectors.joining(",", "[", "]")));
      };
    }
    String wrongLength = IntStream.range(0, rows + 1).mapToObj(i -> "0")
        .collect(Collectors.joining(",", "[", "]"));
    return c.pick(bad("labels", "[" + k + "]"), bad("labels", "[-2]"),
        bad("labels", "[2147483648]"), bad("labels", "[]"), bad("labels", "[null]"),
        bad("labels", "[\"a\"]"), bad("labels", "\"a\""), bad("labels", "[1.5]"),
        bad("labels", "{}"), bad("labels", "[[0]]"), bad("labels", wrongLength));
  }

  /** How a latents array goes wrong. */
  enum Flaw {
    NONE, FLAT, DEEPER, EXTRA_ROW, SHORT_INNER, RAGGED, STRING, NULL, BOOLEAN, OBJECT, FLOAT_MAX,
    OVER_FLOAT, UNDER_FLOAT, DOUBLE_MAX, OVER_DOUBLE, LARGE
  }

  private static Field latents(Choices c, Model model, int rows, boolean spins) {
    return switch (c.below(19)) {
      case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 -> c.pick(ok("latents", null),
          ok("latents", "null"));
      case 18 -> c.pick(bad("latents", "5"), bad("latents", "\"x\""), bad("latents", "{}"),
          bad("latents", "[]"), bad("latents", "true"));
      default -> latents(model, rows, c.mostly() ? Flaw.NONE : c.pick(Arrays.stream(Flaw.values())
              .filter(f -> !spins || f != Flaw.LARGE && f != Flaw.FLOAT_MAX).toList()),
          c.below(31) / 10.0 * (c.below(2) == 0 ? 1 : -1));
    };
  }

  private static Field latents(Model model, int rows, Flaw flaw, double scale) {
    List<Integer> dims = new ArrayList<>();
    dims.add(flaw == Flaw.EXTRA_ROW ? rows + 1 : rows);
    dims.addAll(model.shape());
    if (flaw == Flaw.SHORT_INNER) {
      dims.set(dims.size() - 1, dims.get(dims.size() - 1) - 1);
    }
    if (flaw == Flaw.DEEPER) {
      dims.add(1);
    }
    List<String> values = new ArrayList<>();
    int size = dims.stream().reduce(1, (a, b) -> a * b);
    for (int i = 0; i < size; i++) {
      values.add(Double.toString(scale * ((i % 7) - 3) / 3));
    }
    String odd = switch (flaw) {
      case STRING -> "\"x\"";
      case NULL -> "null";
      case BOOLEAN -> "true";
      case OBJECT -> "{}";
      case FLOAT_MAX -> "3.4028235e38";
      case OVER_FLOAT -> "1e39";
      case UNDER_FLOAT -> "-1e39";
      case DOUBLE_MAX -> "1.7976931348623157e308";
      case OVER_DOUBLE -> "1e400";
      case LARGE -> "1e30";
      default -> null;
    };
    if (odd != null) {
      values.set(size - 1, odd);
    }
    String json = flaw == Flaw.FLAT ? "[" + String.join(",", values) + "]"
        : nest(values, dims, 0, new int[] {0});
    if (flaw == Flaw.RAGGED) {
      // The last row one value short at its innermost end.
      int cut = json.lastIndexOf(',');
      json = cut < 0 ? "[[]]" : json.substring(0, cut) + json.substring(json.indexOf(']', cut));
    }
    Expect expect = switch (flaw) {
      case NONE -> Expect.OK;
      // Finite in float32, but the sampling may overflow.
      case LARGE, FLOAT_MAX -> Expect.EITHER;
      default -> Expect.REJECT;
    };
    return new Field("latents", json, expect);
  }

  private static String nest(List<String> values, List<Integer> dims, int depth, int[] next) {
    if (depth == dims.size()) {
      return values.get(next[0]++);
    }
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < dims.get(depth); i++) {
      out.append(i == 0 ? "" : ",").append(nest(values, dims, depth + 1, next));
    }
    return out.append(']').toString();
  }

  private static final List<String> OPTIONS = List.of("eta", "noiseScale", "noise",
      "solverType", "churn", "churnMin", "churnMax", "churnNoise", "restartMin", "restartMax",
      "restartSteps", "restarts", "solverOrder", "snr", "rtol", "atol", "minStep", "maxStep",
      "maxNfe", "batchErrorControl", "timeGrid", "rho", "shift", "betaAlpha", "betaBeta",
      "aysModel", "sigmas", "timesteps", "clip", "threshold", "guidanceRescale", "guidanceStart",
      "guidanceEnd", "apgEta", "apgMomentum", "apgNormThreshold", "cfgPlusPlus", "startStep",
      "endStep", "denoise");

  /**
   * Options, mostly of those the sampler reads ({@code reads}; null for an unknown sampler, whose
   * request is bad anyway): a given option it does not read is bad, and so are clip and threshold
   * together.
   */
  private static Field options(Choices c, List<String> reads, boolean spins) {
    switch (c.below(15)) {
      case 0, 1, 2, 3, 4, 5:
        return c.pick(ok("options", null), ok("options", "null"));
      case 14:
        return c.pick(bad("options", "[]"), bad("options", "5"), bad("options", "\"karras\""),
            bad("options", "true"));
      default:
        break;
    }
    List<String> preferred = reads == null || reads.isEmpty() ? OPTIONS : reads;
    List<Field> entries = new ArrayList<>();
    int count = c.below(4);
    for (int i = 0; i < count; i++) {
      String name = c.mostly() ? c.pick(preferred)
          : c.pick("foo", "steps", "timegrid", "Eta", c.pick(OPTIONS));
      Field value = optionValue(c, name, spins);
      Expect expect = !OPTIONS.contains(name) ? Expect.REJECT
          : value.given() && (reads == null || !reads.contains(name)) ? Expect.REJECT
          : value.expect();
      if (entries.stream().noneMatch(e -> e.name().equals(name))) {
        entries.add(new Field(name, value.json(), expect));
      }
    }
    Expect expect = Expect.OK;
    for (Field f : entries) {
      expect = expect.and(f.expect());
    }
    if (entries.stream().anyMatch(f -> f.name().equals("clip") && f.given())
        && entries.stream().anyMatch(f -> f.name().equals("threshold") && f.given())) {
      expect = Expect.REJECT;
    }
    return new Field("options", object(entries), expect);
  }

  /** Mostly a good value for the option; then bad ones, and ones that may fail the sampling. */
  private static Field optionValue(Choices c, String n, boolean spins) {
    boolean good = c.mostly();
    return switch (n) {
      case "noise" -> good
          ? pick(c, spins, ok(n, "\"gaussian\""), ok(n, "\"brownian-tree\""), ok(n, "null"))
          : pick(c, spins, bad(n, "\"brownian\""), bad(n, "\"\""), bad(n, "1"), bad(n, "[]"));
      // Which solver types a sampler takes depends on the sampler.
      case "solverType" -> good
          ? pick(c, spins, either(n, "\"heun\""), either(n, "\"bh1\""), ok(n, "null"))
          : pick(c, spins, bad(n, "\"rk4\""), bad(n, "\"HEUN\""), bad(n, "true"),
              bad(n, "{}"));
      case "eta", "noiseScale", "churn", "churnMin", "churnMax", "churnNoise" -> good
          ? pick(c, spins, ok(n, "0"), ok(n, "0.5"), ok(n, "null"))
          : pick(c, spins, bad(n, "-1"), bad(n, "\"NaN\""), bad(n, "\"x\""), bad(n, "true"),
              bad(n, "[]"), bad(n, "\"Infinity\""), either(n, "1e300"), bad(n, "1e400"),
              bad(n, "\"1\""));
      // Any restartMin up to 0.06 snaps within 0.06 of it on every grid (the data end's level is
      // below 0.02), so under any restartMax from 0.3 the interval holds.
      case "restartMin" -> good ? pick(c, spins, ok(n, "0"), ok(n, "0.05"), ok(n, "null"))
          : pick(c, spins, bad(n, "-1"), bad(n, "\"x\""), bad(n, "\"NaN\""), bad(n, "1e400"),
              either(n, "5"));
      case "restartMax" -> good ? pick(c, spins, ok(n, "0.3"), ok(n, "1"), ok(n, "null"))
          : pick(c, spins, bad(n, "0"), bad(n, "-1"), bad(n, "\"Infinity\""), bad(n, "\"x\""),
              either(n, "0.01"), either(n, "1e300"));
      case "restartSteps", "restarts" -> good
          ? pick(c, spins, ok(n, "1"), ok(n, "3"), ok(n, "null"))
          : pick(c, spins, bad(n, "-1"), bad(n, "101"), bad(n, "1.5"), bad(n, "\"x\""),
              bad(n, "2147483648"));
      case "snr", "rtol", "atol", "maxStep" -> good ? pick(c, spins, ok(n, "0.1"), ok(n, "null"))
          : pick(c, spins, bad(n, "0"), bad(n, "-1"), bad(n, "\"NaN\""), bad(n, "\"Infinity\""),
              bad(n, "1e400"), bad(n, "\"x\""), bad(n, "{}"), either(n, "1e300"),
              either(n, "1e-300"));
      case "minStep" -> good ? pick(c, spins, ok(n, "null"), either(n, "1e-6"))
          : pick(c, spins, bad(n, "0"), bad(n, "-1"), bad(n, "\"NaN\""), bad(n, "\"Infinity\""),
              bad(n, "1e400"), either(n, "0.5"), either(n, "1e300"));
      case "solverOrder" -> good ? pick(c, spins, ok(n, "1"), ok(n, "3"), ok(n, "null"))
          : pick(c, spins, bad(n, "0"), bad(n, "4"), bad(n, "2.5"), bad(n, "\"2\""),
              bad(n, "true"));
      case "maxNfe" -> good ? pick(c, spins, ok(n, "null"), either(n, "500"))
          : pick(c, spins, either(n, "1"), bad(n, "0"), bad(n, "-1"), bad(n, "1.5"),
              bad(n, "\"x\""), bad(n, "1e10"), bad(n, "2147483648"), bad(n, "[]"));
      case "batchErrorControl" -> good
          ? pick(c, spins, ok(n, "true"), ok(n, "false"), ok(n, "null"))
          : pick(c, spins, bad(n, "\"yes\""), bad(n, "2.5"), bad(n, "[]"), bad(n, "1"),
              bad(n, "\"true\""));
      case "timeGrid" -> good
          ? pick(c, spins, ok(n, "\"uniform\""), ok(n, "\"karras\""), ok(n, "\"log-snr\""),
              ok(n, "null"))
          : pick(c, spins, bad(n, "\"cosine\""), bad(n, "\"\""), bad(n, "\"KARRAS\""), bad(n, "5"),
              bad(n, "[]"), bad(n, "{}"));
      case "rho", "shift" -> good
          // rho is read by the karras and polyexponential grids only.
          ? pick(c, spins, n.equals("rho") ? either(n, "3") : ok(n, "3"),
              n.equals("rho") ? either(n, "0.5") : ok(n, "0.5"), ok(n, "null"))
          : pick(c, spins, bad(n, "0"), bad(n, "-1"), bad(n, "\"NaN\""), bad(n, "\"x\""),
              bad(n, "\"Infinity\""), either(n, "1e300"), either(n, "1e-300"));
      // Read by some grids only, and lists that fit some models and step counts only.
      case "betaAlpha", "betaBeta" -> good ? pick(c, spins, either(n, "0.5"), ok(n, "null"))
          : pick(c, spins, bad(n, "0"), bad(n, "-1"), bad(n, "\"Infinity\""), bad(n, "[]"));
      case "aysModel" -> good ? pick(c, spins, either(n, "\"sd1\""), ok(n, "null"))
          : pick(c, spins, bad(n, "\"sd3\""), bad(n, "5"), bad(n, "[]"));
      case "sigmas", "timesteps" -> good
          ? pick(c, spins, either(n, "[1, 0.5, 0]"), either(n, "[999, 500]"), ok(n, "null"))
          : pick(c, spins, bad(n, "[]"), bad(n, "[1, \"x\"]"), bad(n, "[1, null]"),
              bad(n, "5"), bad(n, "{}"), bad(n, "[\"Infinity\"]"));
      case "clip" -> good ? pick(c, spins, ok(n, "1"), ok(n, "3"), ok(n, "null"))
          : pick(c, spins, bad(n, "0"), bad(n, "-1"), bad(n, "\"NaN\""), bad(n, "\"x\""),
              bad(n, "\"Infinity\""), either(n, "1e-300"));
      case "threshold" -> good ? pick(c, spins, ok(n, "0.9"), ok(n, "0.995"), ok(n, "null"))
          : pick(c, spins, bad(n, "0"), bad(n, "1"), bad(n, "1.5"), bad(n, "-0.1"),
              bad(n, "\"NaN\""), bad(n, "\"x\""));
      // The guidance and partial-sampling options hold or fail with other fields (labels,
      // guidance, latents, steps, each other): a value in range may go either way.
      case "guidanceRescale", "guidanceStart", "guidanceEnd" -> good
          ? pick(c, spins, either(n, "0"), either(n, "0.5"), either(n, "1"), ok(n, "null"))
          : pick(c, spins, bad(n, "-0.1"), bad(n, "1.5"), bad(n, "\"NaN\""), bad(n, "\"x\""),
              bad(n, "true"));
      case "apgEta", "apgMomentum", "apgNormThreshold" -> good
          ? pick(c, spins, either(n, "0"), either(n, "0.5"), ok(n, "null"))
          : pick(c, spins, bad(n, "\"NaN\""), bad(n, "\"Infinity\""), bad(n, "1e400"),
              bad(n, "\"x\""), either(n, "-0.5"), either(n, "1"));
      case "cfgPlusPlus" -> good ? pick(c, spins, either(n, "true"), ok(n, "false"), ok(n, "null"))
          : pick(c, spins, bad(n, "\"yes\""), bad(n, "1"), bad(n, "[]"));
      case "startStep", "endStep" -> good
          ? pick(c, spins, either(n, "0"), either(n, "1"), either(n, "3"), ok(n, "null"))
          : pick(c, spins, bad(n, "-1"), bad(n, "1.5"), bad(n, "\"x\""), either(n, "2147483647"));
      case "denoise" -> good ? pick(c, spins, either(n, "1"), either(n, "0.5"), ok(n, "null"))
          : pick(c, spins, bad(n, "0"), bad(n, "-0.5"), bad(n, "1.5"), bad(n, "\"NaN\""),
              either(n, "1e-300"));
      // Not an option: bad whatever its value.
      default -> pick(c, spins, bad(n, "1"), bad(n, "null"), bad(n, "\"karras\""));
    };
  }

  private static Field returnTrajectory(Choices c) {
    String n = "returnTrajectory";
    return c.mostly() ? c.pick(ok(n, null), ok(n, "false"), ok(n, "true"), ok(n, "null"))
        : c.pick(bad(n, "\"yes\""), bad(n, "[]"), bad(n, "{}"), bad(n, "2.5"), bad(n, "1"),
            bad(n, "0"), bad(n, "\"true\""));
  }

  /** Latents are for latent models; every model takes "decoded". */
  private static Field output(Choices c, Model model) {
    String n = "output";
    Expect latents = model.decoded() != null ? Expect.OK : Expect.REJECT;
    return c.mostly() ? c.pick(ok(n, null), ok(n, "\"decoded\""), new Field(n, "\"latent\"",
        latents), ok(n, "null"))
        : c.pick(bad(n, "\"\""), bad(n, "\"Latent\""), bad(n, "\"x\""), bad(n, "1"), bad(n, "[]"),
            bad(n, "{}"), bad(n, "true"));
  }

  /** A top-level field that requests do not have. */
  private static Field unknownField(Choices c) {
    return c.below(12) > 0 ? ok("step", null)
        : bad(c.pick("step", "N", "samples", "seeds", "label", "trajectory", ""),
            c.pick("4", "null", "{}"));
  }

  /** PNG is for image models (and decoded samples). */
  private static Header accept(Choices c, Model model, boolean latents) {
    Expect png = model.image(latents) ? Expect.OK : Expect.REJECT;
    if (c.mostly()) {
      return c.pick(new Header(null, Expect.OK), new Header("application/json", Expect.OK),
          new Header("*/*", Expect.OK), new Header("application/x-npy", Expect.OK),
          new Header("image/png", png));
    }
    return c.pick(new Header("", Expect.OK), new Header("application/*", Expect.OK),
        new Header("image/*", png), new Header("application/json, */*;q=0.1", Expect.OK),
        new Header("application/x-npy;q=0.9, application/json;q=0.5", Expect.OK),
        new Header("text/html, application/xhtml+xml, */*;q=0.8", Expect.OK),
        new Header("image/png;q=0.1, application/json", Expect.OK),
        new Header("application/x-npy;q=0, image/png", png),
        new Header("image/*;q=0.9, application/json;q=0.1", Expect.OK),
        new Header("text/csv", Expect.REJECT), new Header("garbage", Expect.REJECT),
        new Header("application/", Expect.REJECT), new Header(";;;", Expect.REJECT),
        new Header("application/json;q=abc", Expect.EITHER), new Header("*/*;q=0", Expect.REJECT),
        new Header("application/problem+json", Expect.EITHER));
  }

  private static Header contentType(Choices c) {
    if (c.mostly()) {
      return new Header("application/json", Expect.OK);
    }
    return c.pick(new Header("application/json; charset=utf-8", Expect.OK),
        new Header("application/json;charset=UTF-8", Expect.OK),
        new Header("Application/JSON", Expect.OK), new Header(null, Expect.REJECT),
        new Header("text/plain", Expect.REJECT),
        new Header("application/x-www-form-urlencoded", Expect.REJECT),
        new Header("application/xml", Expect.REJECT), new Header("garbage", Expect.REJECT),
        new Header("application/", Expect.REJECT),
        new Header("multipart/form-data; boundary=x", Expect.REJECT),
        new Header("application/json; charset=latin1", Expect.EITHER),
        new Header("application/json; charset=nope", Expect.EITHER),
        new Header("application/problem+json", Expect.EITHER),
        new Header("application/vnd.api+json", Expect.EITHER));
  }

  /** Bodies that are not a sampling request, to a served model with JSON headers. */
  private static List<Case> rawBodies() {
    List<Case> out = new ArrayList<>(List.of(
        raw("", Expect.REJECT), raw("not json", Expect.REJECT), raw("[]", Expect.REJECT),
        raw("[{\"n\":1}]", Expect.REJECT), raw("null", Expect.REJECT), raw("1", Expect.REJECT),
        raw("\"x\"", Expect.REJECT), raw("true", Expect.REJECT), raw("{}", Expect.REJECT),
        raw("{\"n\":1,}", Expect.REJECT), raw("{'n':1}", Expect.REJECT),
        raw("{n:1}", Expect.REJECT), raw("/* n */ {\"n\":1}", Expect.REJECT),
        raw("{\"n\":01}", Expect.REJECT), raw("{\"n\":1,\"guidance\":NaN}", Expect.REJECT),
        raw("{\"n\":1,\"seed\":Infinity}", Expect.REJECT),
        raw("{\"n\":1}}", Expect.EITHER), raw("{\"n\":1} {\"n\":2}", Expect.EITHER),
        raw("{\"n\":1,\"n\":2}", Expect.EITHER), raw("\uFEFF{\"n\":1}", Expect.EITHER),
        raw("{\"n\":1" + "0".repeat(1500) + "}", Expect.REJECT),
        raw("{\"n\":1,\"sampler\":\"" + "\\u0000".repeat(3) + "\"}", Expect.REJECT),
        raw("[".repeat(5000) + "]".repeat(5000), Expect.REJECT),
        raw("{\"n\":1,\"latents\":" + "[".repeat(3000) + "]".repeat(3000) + "}", Expect.REJECT),
        raw("{\"a\":".repeat(3000) + "1" + "}".repeat(3000), Expect.REJECT),
        raw("{\"n\":1,\"options\":" + "{\"x\":".repeat(2000) + "1" + "}".repeat(2001),
            Expect.REJECT),
        new Case("analytic-gmm-flow", null, "application/json", "{\"n\":1,\"sampler\":\"\u00ff\"}",
            true, 0, Expect.REJECT),
        new Case("analytic-gmm-flow", null, "application/json", "\u00ff\u00fe{", true, 0,
            Expect.REJECT)));
    // Every truncation of a good request.
    String whole = "{\"n\":2,\"sampler\":\"heun\",\"steps\":4,\"seed\":1,"
        + "\"options\":{\"timeGrid\":\"karras\"},\"latents\":[[0.5,-1],[2,0.25]]}";
    for (int cut = 0; cut < whole.length(); cut++) {
      out.add(raw(whole.substring(0, cut), Expect.REJECT));
    }
    return out;
  }

  private static Case raw(String body, Expect expect) {
    return new Case("analytic-gmm-flow", null, "application/json", body, false, 0, expect);
  }
}
