package pyrand

import (
	"fmt"
	"testing"
)

// Golden values printed by CPython 3.11's random module.
func TestMatchesCPython(t *testing.T) {
	r := New(0)
	var got []string
	for i := 0; i < 5; i++ {
		got = append(got, fmt.Sprint(r.Sample(4, 4)))
	}
	if want := "[[3 1 0 2] [3 1 2 0] [2 3 0 1] [2 0 3 1] [1 3 0 2]]"; fmt.Sprint(got) != want {
		t.Fatalf("Random(0).sample(range(4),4) x5 = %v, want %v", got, want)
	}
	wantInt := map[int]int{3: 1, 4: 3, 5: 3, 6: 3, 7: 3, 8: 6, 9: 6, 10: 6}
	for nopt, want := range wantInt {
		r := New(12345)
		if g := r.RandInt(0, nopt-1); g != want {
			t.Errorf("seed(12345); randint(0,%d) = %d, want %d", nopt-1, g, want)
		}
	}
	r = New(1<<40 + 7)
	for _, want := range []uint32{2635837658, 3209733218, 3500038837} {
		if g := r.Uint32(); g != want {
			t.Fatalf("getrandbits(32) = %d, want %d", g, want)
		}
	}
	if g := r.GetRandBits(70).String(); g != "755302148334782535355" {
		t.Fatalf("getrandbits(70) = %s", g)
	}
	if g := fmt.Sprint(r.Sample(100, 7)); g != "[73 90 60 32 78 16 66]" {
		t.Fatalf("sample(range(100),7) = %s", g)
	}
	r = New(0)
	if g := fmt.Sprint(r.Sample(1000, 30)[:10]); g != "[864 394 776 911 430 41 265 988 523 497]" {
		t.Fatalf("sample(range(1000),30)[:10] = %s", g)
	}
}
