//go:build !amd64

package qwen

func clearUpperState() {}
