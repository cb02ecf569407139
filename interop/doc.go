// Package interop runs real vAPI clients (govmomi's vapi/rest client and its
// keep-alive handler) against the vapisec server. It is a separate Go module
// so that govmomi never enters the dependency graph of the main module.
package interop
