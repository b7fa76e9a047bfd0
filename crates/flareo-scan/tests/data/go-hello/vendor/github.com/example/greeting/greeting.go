// Package greeting is a vendored dependency of the fixture.
package greeting

// Hello greets someone.
func Hello(name string) string { return "hello, " + name }
