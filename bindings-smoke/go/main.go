// Go smoke app for the jsii binding (run by scripts/test-bindings.sh): creates a
// QueueDrivenSpotWorkerFleet with non-default props in an env-agnostic stack, synthesizes it and
// checks that the template carries those props. Exits non-zero on failure.
package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	fleet "github.com/example/cdk-spot-worker-fleet-go/cdkspotworkerfleet"
)

const (
	maxCapacity       = 7
	visibilitySeconds = 540
	maxReceiveCount   = 6
	// acceptable latency 600 s / expected processing time 20 s
	backlogTarget = 30
	inputPrefix   = "incoming/"
)

var failures []string

func check(ok bool, what string) {
	if ok {
		fmt.Println("ok   " + what)
		return
	}
	fmt.Println("FAIL " + what)
	failures = append(failures, what)
}

type object = map[string]interface{}

func asObject(v interface{}) object {
	if o, ok := v.(object); ok {
		return o
	}
	return object{}
}

func asList(v interface{}) []interface{} {
	if l, ok := v.([]interface{}); ok {
		return l
	}
	return nil
}

// collectStrings appends every string literal under a template node (user data is a Fn::Join of
// literals and tokens).
func collectStrings(node interface{}, out *strings.Builder) {
	switch n := node.(type) {
	case string:
		out.WriteString(n)
	case object:
		for _, v := range n {
			collectStrings(v, out)
		}
	case []interface{}:
		for _, v := range n {
			collectStrings(v, out)
		}
	}
}

func propsOf(template object, cfnType string) []object {
	var out []object
	for _, r := range asObject(template["Resources"]) {
		res := asObject(r)
		if res["Type"] == cfnType {
			out = append(out, asObject(res["Properties"]))
		}
	}
	return out
}

func numberIs(v interface{}, expected float64) bool {
	n, ok := v.(float64)
	return ok && n == expected
}

func main() {
	defer jsii.Close()
	outdir, err := os.MkdirTemp("", "fleet-go-smoke-")
	if err != nil {
		panic(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	stack := awscdk.NewStack(app, jsii.String("GoSmoke"), nil)
	workers := fleet.NewQueueDrivenSpotWorkerFleet(stack, jsii.String("Fleet"), &fleet.QueueDrivenSpotWorkerFleetProps{
		MaxCapacity:            jsii.Number(maxCapacity),
		VisibilityTimeout:      awscdk.Duration_Seconds(jsii.Number(visibilitySeconds)),
		MaxReceiveCount:        jsii.Number(maxReceiveCount),
		ExpectedProcessingTime: awscdk.Duration_Seconds(jsii.Number(20)),
		AcceptableLatency:      awscdk.Duration_Minutes(jsii.Number(10)),
		InputPrefix:            jsii.String(inputPrefix),
		OutputPrefix:           jsii.String("pdf/"),
		Handler:                fleet.WorkerHandler_ImageToPdf(),
		RuntimeEnvironment:     &map[string]*string{"SPOT_WORKER_LOG_LEVEL": jsii.String("debug")},
	})

	assembly := app.Synth(nil)
	raw, err := os.ReadFile(*assembly.GetStackByName(jsii.String("GoSmoke")).TemplateFullPath())
	if err != nil {
		panic(err)
	}
	var template object
	if err := json.Unmarshal(raw, &template); err != nil {
		panic(err)
	}

	groups := propsOf(template, "AWS::AutoScaling::AutoScalingGroup")
	check(len(groups) == 1, "one Auto Scaling group")
	scales := false
	for _, g := range groups {
		scales = scales || (g["MaxSize"] == fmt.Sprint(maxCapacity) && g["MinSize"] == "0")
	}
	check(scales, fmt.Sprintf("the group scales between 0 and %d", maxCapacity))

	var work []object
	for _, q := range propsOf(template, "AWS::SQS::Queue") {
		if numberIs(q["VisibilityTimeout"], visibilitySeconds) {
			work = append(work, q)
		}
	}
	check(len(work) == 1, fmt.Sprintf("a queue with a %d s visibility timeout", visibilitySeconds))
	redrives := false
	for _, q := range work {
		redrives = redrives || numberIs(asObject(q["RedrivePolicy"])["maxReceiveCount"], maxReceiveCount)
	}
	check(redrives, fmt.Sprintf("that queue redrives to a DLQ after %d receives", maxReceiveCount))

	tracks := false
	for _, p := range propsOf(template, "AWS::AutoScaling::ScalingPolicy") {
		tracks = tracks || (p["PolicyType"] == "TargetTrackingScaling" &&
			numberIs(asObject(p["TargetTrackingConfiguration"])["TargetValue"], backlogTarget))
	}
	check(tracks, fmt.Sprintf("a target-tracking policy on backlog per instance with target %d", backlogTarget))

	var notifications []object
	for _, n := range propsOf(template, "Custom::S3BucketNotifications") {
		for _, c := range asList(asObject(n["NotificationConfiguration"])["QueueConfigurations"]) {
			notifications = append(notifications, asObject(c))
		}
	}
	filtered := len(notifications) > 0
	for _, c := range notifications {
		hasPrefix := false
		for _, rule := range asList(asObject(asObject(c["Filter"])["Key"])["FilterRules"]) {
			r := asObject(rule)
			hasPrefix = hasPrefix || (r["Name"] == "prefix" && r["Value"] == inputPrefix)
		}
		filtered = filtered && hasPrefix
	}
	check(filtered, "every bucket -> queue notification filters on prefix "+inputPrefix)

	var userData strings.Builder
	for _, lt := range propsOf(template, "AWS::EC2::LaunchTemplate") {
		collectStrings(asObject(lt["LaunchTemplateData"])["UserData"], &userData)
	}
	check(strings.Contains(userData.String(), `SPOT_WORKER_OUTPUT_PREFIX="pdf/"`), "the workers' env file gets OutputPrefix")
	check(strings.Contains(userData.String(), `SPOT_WORKER_LOG_LEVEL="debug"`), "the workers' env file gets RuntimeEnvironment")

	// One zip asset (zipped by the construct at synth) holding spot-worker.js, its sha256 checked at boot.
	staged, _ := filepath.Glob(filepath.Join(outdir, "asset.*.zip"))
	check(len(staged) == 1 && zipHolds(staged[0], "spot-worker.js") &&
		strings.Contains(userData.String(), sha256Hex(staged[0])), "the arm64 worker bundle is staged as an asset")

	check(*workers.BacklogPerInstanceTarget() == backlogTarget, "the fleet's properties are readable from Go")

	if len(failures) > 0 {
		fmt.Fprintf(os.Stderr, "go smoke: %d check(s) failed; the cloud assembly is in %s\n", len(failures), outdir)
		jsii.Close()
		os.Exit(1)
	}
	// Each assembly holds a copy of the ~20 MiB worker bundle.
	os.RemoveAll(outdir)
	fmt.Println("go smoke: template has the fleet with the props set from Go")
}

// zipHolds tells whether the zip file has an entry of that name.
func zipHolds(file, name string) bool {
	r, err := zip.OpenReader(file)
	if err != nil {
		return false
	}
	defer r.Close()
	for _, f := range r.File {
		if f.Name == name {
			return true
		}
	}
	return false
}

// sha256Hex is the file's sha256 in lowercase hex, or "" when it cannot be read.
func sha256Hex(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
