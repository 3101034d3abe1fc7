#include "textflag.h"

// func minhash16AVX512(sh, a, b, mins []uint64)
//
// mins[i] = min over h in sh of a[i]*h + b[i] (mod 2^64), 16 permutations at a time: per block,
// two ZMM registers of multipliers, two of offsets and two running minimums; each shingle hash is
// broadcast once and used for all 16. len(a) = len(b) = len(mins), a multiple of 16; len(sh) > 0.
TEXT ·minhash16AVX512(SB), NOSPLIT, $0-96
	MOVQ sh_base+0(FP), SI
	MOVQ sh_len+8(FP), CX
	MOVQ a_base+24(FP), R8
	MOVQ b_base+48(FP), R9
	MOVQ mins_base+72(FP), DI
	MOVQ mins_len+80(FP), R10
	SHRQ $4, R10
	TESTQ R10, R10
	JZ   done
	TESTQ CX, CX
	JZ   done

block:
	VMOVDQU64  (R8), Z0
	VMOVDQU64  64(R8), Z1
	VMOVDQU64  (R9), Z2
	VMOVDQU64  64(R9), Z3
	VPTERNLOGQ $0xff, Z4, Z4, Z4
	VPTERNLOGQ $0xff, Z5, Z5, Z5
	MOVQ       SI, DX
	MOVQ       CX, BX

shingle:
	VPBROADCASTQ (DX), Z8
	VPMULLQ      Z8, Z0, Z9
	VPMULLQ      Z8, Z1, Z10
	VPADDQ       Z2, Z9, Z9
	VPADDQ       Z3, Z10, Z10
	VPMINUQ      Z9, Z4, Z4
	VPMINUQ      Z10, Z5, Z5
	ADDQ         $8, DX
	DECQ         BX
	JNZ          shingle

	VMOVDQU64 Z4, (DI)
	VMOVDQU64 Z5, 64(DI)
	ADDQ      $128, R8
	ADDQ      $128, R9
	ADDQ      $128, DI
	DECQ      R10
	JNZ       block

done:
	VZEROUPPER
	RET
