// Package pyrand reproduces CPython's random module (MT19937 with init_by_array seeding,
// getrandbits, _randbelow, randint, choice and sample) bit for bit, so that option shuffles
// and random fallbacks in the authors' Python evaluation scripts can be reproduced exactly.
package pyrand

import "math/big"

const n, m = 624, 397

// Rand is a CPython random.Random.
type Rand struct {
	mt  [n]uint32
	idx int
}

// New returns the generator of random.Random(seed) for a non-negative integer seed.
func New(seed uint64) *Rand {
	r := &Rand{}
	r.Seed(seed)
	return r
}

// Seed is random.seed(seed) for an integer: the absolute value split into 32-bit words,
// least significant first, fed to init_by_array.
func (r *Rand) Seed(seed uint64) {
	key := []uint32{uint32(seed)}
	if hi := uint32(seed >> 32); hi != 0 {
		key = append(key, hi)
	}
	r.initByArray(key)
}

func (r *Rand) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < n; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = n
}

func (r *Rand) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := n
	if len(key) > k {
		k = len(key)
	}
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = n - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

// Uint32 is genrand_uint32.
func (r *Rand) Uint32() uint32 {
	if r.idx >= n {
		for k := 0; k < n; k++ {
			y := (r.mt[k] & 0x80000000) | (r.mt[(k+1)%n] & 0x7fffffff)
			v := r.mt[(k+m)%n] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[k] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// GetRandBits is random.getrandbits(k) for k >= 0.
func (r *Rand) GetRandBits(k int) *big.Int {
	if k <= 32 {
		if k == 0 {
			return new(big.Int)
		}
		return new(big.Int).SetUint64(uint64(r.Uint32() >> (32 - k)))
	}
	out := new(big.Int)
	for shift := 0; k > 0; shift += 32 {
		w := r.Uint32()
		if k < 32 {
			w >>= 32 - k
		}
		out.Or(out, new(big.Int).Lsh(new(big.Int).SetUint64(uint64(w)), uint(shift)))
		k -= 32
	}
	return out
}

// RandBelow is random._randbelow(n) for 0 < n < 2^32 (rejection sampling on getrandbits).
func (r *Rand) RandBelow(nv int) int {
	k := 0
	for v := nv; v > 0; v >>= 1 {
		k++
	}
	for {
		x := int(r.Uint32() >> (32 - k))
		if x < nv {
			return x
		}
	}
}

// RandInt is random.randint(a, b).
func (r *Rand) RandInt(a, b int) int { return a + r.RandBelow(b-a+1) }

// Choice is random.choice(seq) for a sequence of length l: the chosen index.
func (r *Rand) Choice(l int) int { return r.RandBelow(l) }

// Sample is random.sample(range(popN), k) (CPython >= 3.2 algorithm, both branches).
func (r *Rand) Sample(popN, k int) []int {
	result := make([]int, k)
	setsize := 21
	if k > 5 {
		// setsize += 4 ** ceil(log(3k, 4))
		p, v := 1, 1
		for v < 3*k {
			v *= 4
			p++
		}
		_ = p
		setsize += v
	}
	if popN <= setsize {
		pool := make([]int, popN)
		for i := range pool {
			pool[i] = i
		}
		for i := 0; i < k; i++ {
			j := r.RandBelow(popN - i)
			result[i] = pool[j]
			pool[j] = pool[popN-i-1]
		}
		return result
	}
	selected := map[int]bool{}
	for i := 0; i < k; i++ {
		j := r.RandBelow(popN)
		for selected[j] {
			j = r.RandBelow(popN)
		}
		selected[j] = true
		result[i] = j
	}
	return result
}
