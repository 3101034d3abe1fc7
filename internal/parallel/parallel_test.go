package parallel

import (
	"context"
	"errors"
	"testing"
)

func TestMapOrderErrorsAndCancel(t *testing.T) {
	got, err := Map(context.Background(), 100, 4, func(i int) (int, error) { return i * i, nil })
	if err != nil || len(got) != 100 || got[7] != 49 || got[99] != 9801 {
		t.Fatalf("%v %v", got, err)
	}
	_, err = Map(context.Background(), 10, 3, func(i int) (int, error) {
		if i == 4 || i == 8 {
			return 0, errors.New("bad " + string(rune('0'+i)))
		}
		return i, nil
	})
	if err == nil || err.Error() != "bad 4" {
		t.Fatalf("want the lowest failing index's error, got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Map(ctx, 10, 2, func(i int) (int, error) { return i, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
