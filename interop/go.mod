module github.com/vapisec/vapisec/interop

go 1.26.0

replace github.com/vapisec/vapisec => ../

require github.com/vmware/govmomi v0.52.0
