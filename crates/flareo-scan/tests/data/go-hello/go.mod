module example.com/hello

go 1.19

require github.com/example/greeting v1.2.3
