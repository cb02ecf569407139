module github.com/vapisec/vapisec/interop

go 1.26.0

replace github.com/vapisec/vapisec => ../

require (
	github.com/vapisec/vapisec v0.0.0-00010101000000-000000000000
	github.com/vmware/govmomi v0.52.0
)

require (
	github.com/beevik/etree v1.8.1 // indirect
	github.com/dougm/pretty v0.0.0-20160325215624-add1dbc86daf // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/jonboulle/clockwork v0.5.0 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	github.com/russellhaering/goxmldsig v1.6.1 // indirect
)
