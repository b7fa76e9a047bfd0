// A Go program whose build information records a vendored dependency module.
package main

import (
	"fmt"

	"github.com/example/greeting"
)

func main() {
	fmt.Println(greeting.Hello("flareo"))
}
