package smoke;

import io.github.cdkspotworkerfleet.fleet.QueueDrivenSpotWorkerFleet;
import io.github.cdkspotworkerfleet.fleet.WorkerHandler;
import java.io.File;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.ZipFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.cxapi.CloudAssembly;

/**
 * Java smoke app for the jsii binding (run by scripts/test-bindings.sh): creates a
 * QueueDrivenSpotWorkerFleet with non-default props in an env-agnostic stack, synthesizes it and
 * checks that the template carries those props. Exits non-zero on failure.
 */
public final class FleetSmoke {
  private static final int MAX_CAPACITY = 7;
  private static final int VISIBILITY_SECONDS = 540;
  private static final int MAX_RECEIVE_COUNT = 6;
  /** acceptable latency 600 s / expected processing time 20 s */
  private static final int BACKLOG_TARGET = 30;
  private static final String INPUT_PREFIX = "incoming/";

  private static final List<String> failures = new ArrayList<>();

  private FleetSmoke() {}

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "ok   " : "FAIL ") + what);
    if (!ok) {
      failures.add(what);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map ? (Map<String, Object>) o : Map.of();
  }

  private static List<?> list(Object o) {
    return o instanceof List ? (List<?>) o : List.of();
  }

  /** Appends every string literal under a template node (user data is a Fn::Join of literals and tokens). */
  private static void strings(Object node, StringBuilder out) {
    if (node instanceof String) {
      out.append((String) node);
    } else if (node instanceof Map) {
      ((Map<?, ?>) node).values().forEach(v -> strings(v, out));
    } else if (node instanceof List) {
      ((List<?>) node).forEach(v -> strings(v, out));
    }
  }

  private static boolean numberIs(Object value, int expected) {
    return value instanceof Number && ((Number) value).doubleValue() == expected;
  }

  private static List<Map<String, Object>> propsOf(Map<String, Object> template, String type) {
    return map(template.get("Resources")).values().stream()
        .map(FleetSmoke::map)
        .filter(r -> type.equals(r.get("Type")))
        .map(r -> map(r.get("Properties")))
        .collect(Collectors.toList());
  }

  public static void main(String[] args) throws Exception {
    File outdir = Files.createTempDirectory("fleet-java-smoke-").toFile();
    App app = new App(AppProps.builder().outdir(outdir.getPath()).build());
    Stack stack = new Stack(app, "JavaSmoke");
    QueueDrivenSpotWorkerFleet fleet = QueueDrivenSpotWorkerFleet.Builder.create(stack, "Fleet")
        .maxCapacity(MAX_CAPACITY)
        .visibilityTimeout(Duration.seconds(VISIBILITY_SECONDS))
        .maxReceiveCount(MAX_RECEIVE_COUNT)
        .expectedProcessingTime(Duration.seconds(20))
        .acceptableLatency(Duration.minutes(10))
        .inputPrefix(INPUT_PREFIX)
        .outputPrefix("pdf/")
        .handler(WorkerHandler.imageToPdf())
        .runtimeEnvironment(Map.of("SPOT_WORKER_LOG_LEVEL", "debug"))
        .build();

    CloudAssembly assembly = app.synth();
    Map<String, Object> template = map(assembly.getStackByName("JavaSmoke").getTemplate());

    List<Map<String, Object>> groups = propsOf(template, "AWS::AutoScaling::AutoScalingGroup");
    check(groups.size() == 1, "one Auto Scaling group");
    check(groups.stream().anyMatch(g -> String.valueOf(MAX_CAPACITY).equals(g.get("MaxSize")) && "0".equals(g.get("MinSize"))),
        "the group scales between 0 and " + MAX_CAPACITY);

    List<Map<String, Object>> work = propsOf(template, "AWS::SQS::Queue").stream()
        .filter(q -> numberIs(q.get("VisibilityTimeout"), VISIBILITY_SECONDS))
        .collect(Collectors.toList());
    check(work.size() == 1, "a queue with a " + VISIBILITY_SECONDS + " s visibility timeout");
    check(work.stream().anyMatch(q -> numberIs(map(q.get("RedrivePolicy")).get("maxReceiveCount"), MAX_RECEIVE_COUNT)),
        "that queue redrives to a DLQ after " + MAX_RECEIVE_COUNT + " receives");

    check(propsOf(template, "AWS::AutoScaling::ScalingPolicy").stream().anyMatch(p ->
            "TargetTrackingScaling".equals(p.get("PolicyType"))
                && numberIs(map(p.get("TargetTrackingConfiguration")).get("TargetValue"), BACKLOG_TARGET)),
        "a target-tracking policy on backlog per instance with target " + BACKLOG_TARGET);

    List<Map<String, Object>> notifications = propsOf(template, "Custom::S3BucketNotifications").stream()
        .flatMap(n -> list(map(n.get("NotificationConfiguration")).get("QueueConfigurations")).stream())
        .map(FleetSmoke::map)
        .collect(Collectors.toList());
    check(!notifications.isEmpty() && notifications.stream().allMatch(c ->
            list(map(map(c.get("Filter")).get("Key")).get("FilterRules")).contains(Map.of("Name", "prefix", "Value", INPUT_PREFIX))),
        "every bucket -> queue notification filters on prefix " + INPUT_PREFIX);

    StringBuilder userData = new StringBuilder();
    propsOf(template, "AWS::EC2::LaunchTemplate").forEach(lt -> strings(map(lt.get("LaunchTemplateData")).get("UserData"), userData));
    check(userData.indexOf("SPOT_WORKER_OUTPUT_PREFIX=\"pdf/\"") >= 0, "the workers' env file gets outputPrefix");
    check(userData.indexOf("SPOT_WORKER_LOG_LEVEL=\"debug\"") >= 0, "the workers' env file gets runtimeEnvironment");

    // One zip asset (zipped by the construct at synth) holding spot-worker.js, its sha256 checked at boot.
    File[] staged = outdir.listFiles(f -> f.getName().startsWith("asset.") && f.getName().endsWith(".zip"));
    check(staged != null && staged.length == 1 && zipHolds(staged[0], "spot-worker.js")
        && userData.indexOf(sha256Hex(staged[0])) >= 0, "the arm64 worker bundle is staged as an asset");

    check(fleet.getBacklogPerInstanceTarget().intValue() == BACKLOG_TARGET, "the fleet's properties are readable from Java");

    if (!failures.isEmpty()) {
      System.err.println("java smoke: " + failures.size() + " check(s) failed; the cloud assembly is in " + outdir);
      System.exit(1);
    }
    // Each assembly holds a copy of the ~20 MiB worker bundle.
    try (Stream<Path> paths = Files.walk(outdir.toPath())) {
      paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
    System.out.println("java smoke: template has the fleet with the props set from Java");
  }

  /** Whether the zip file has an entry of that name. */
  static boolean zipHolds(File file, String name) {
    try (ZipFile zip = new ZipFile(file)) {
      return zip.getEntry(name) != null;
    } catch (Exception e) {
      return false;
    }
  }

  /** The file's sha256 in lowercase hex, or a text no template holds when it cannot be read. */
  static String sha256Hex(File file) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file.toPath())));
    } catch (Exception e) {
      return "<unreadable " + file + ">";
    }
  }
}
