// Package interop runs real vAPI clients against the vapisec server:
// govmomi's vapi/rest client and its keep-alive handler, and VMware's
// vSphere Automation SDK for Go (github.com/vmware/vsphere-automation-sdk-go
// runtime and lib v0.8.0: its REST and JSON-RPC connectors, the generated
// com.vmware.cis.session binding, its HoK signer), over HTTP and HTTPS. The
// SDK's own server-side encoder and client decoder are also the oracle of
// vapisec's JSON-RPC replies (sdk_oracle_test.go). It is a separate Go
// module so that neither client enters the dependency graph of the main
// module.
package interop
