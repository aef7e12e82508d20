module fleetsmoke

go 1.25.0

require (
	github.com/aws/aws-cdk-go/awscdk/v2 v2.260.0
	github.com/aws/jsii-runtime-go v1.140.0
	github.com/example/cdk-spot-worker-fleet-go/cdkspotworkerfleet v0.0.0
)

require (
	github.com/Masterminds/semver/v3 v3.5.0 // indirect
	github.com/aws/constructs-go/constructs/v10 v10.6.0 // indirect
	github.com/cdklabs/awscdk-asset-awscli-go/awscliv1/v2 v2.2.282 // indirect
	github.com/cdklabs/awscdk-asset-node-proxy-agent-go/nodeproxyagentv6/v2 v2.1.3 // indirect
	github.com/cdklabs/cloud-assembly-schema-go/awscdkcloudassemblyschema/v54 v54.26.0 // indirect
)

// The binding jsii-pacmak generated into dist/go (not published).
replace github.com/example/cdk-spot-worker-fleet-go/cdkspotworkerfleet => ../../dist/go/cdkspotworkerfleet

// The Go module proxy reachable from the build machine serves only some versions of the AWS CDK
// modules: not aws-cdk-go v2.258.0 (the binding's minimum), nor the newer asset and schema modules
// the binding lists from npm's lockfile. Pin the versions aws-cdk-go v2.260.0 itself was released
// with, so the generated code compiles and runs (docs/bindings.md).
replace (
	github.com/aws/aws-cdk-go/awscdk/v2 => github.com/aws/aws-cdk-go/awscdk/v2 v2.260.0
	github.com/cdklabs/awscdk-asset-awscli-go/awscliv1/v2 => github.com/cdklabs/awscdk-asset-awscli-go/awscliv1/v2 v2.2.282
	github.com/cdklabs/awscdk-asset-node-proxy-agent-go/nodeproxyagentv6/v2 => github.com/cdklabs/awscdk-asset-node-proxy-agent-go/nodeproxyagentv6/v2 v2.1.2
	github.com/cdklabs/cloud-assembly-schema-go/awscdkcloudassemblyschema/v54 => github.com/cdklabs/cloud-assembly-schema-go/awscdkcloudassemblyschema/v54 v54.1.0
)
