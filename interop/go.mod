module github.com/vapisec/vapisec/interop

go 1.26.0

replace github.com/vapisec/vapisec => ../

require (
	github.com/vapisec/vapisec v0.0.0-00010101000000-000000000000
	github.com/vmware/govmomi v0.52.0
	github.com/vmware/vsphere-automation-sdk-go/lib v0.8.0
	github.com/vmware/vsphere-automation-sdk-go/runtime v0.8.0
)

require (
	github.com/beevik/etree v1.8.1 // indirect
	github.com/gibson042/canonicaljson-go v1.0.3 // indirect
	github.com/golang-jwt/jwt/v4 v4.3.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorilla/mux v1.8.0 // indirect
	github.com/jonboulle/clockwork v0.5.0 // indirect
	github.com/russellhaering/goxmldsig v1.6.1 // indirect
	golang.org/x/text v0.40.0 // indirect
)
