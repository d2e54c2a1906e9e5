/*
 * vh_clhash.h — CLHash 2.2 (spec §5.4–5.6), the per-nonce heart of VerusHash. Part of the
 * vh_core.h template: expects lane_t, the L_* primitives, K_LD/K_ST and vh_haraka.h.
 *
 * The accelerated builds set VH_BRANCHLESS / VH_BRANCHLESS_MOD: where a branch inside a case
 * depends on a data bit (a coin flip for the predictor), they compute both outcomes and select,
 * which costs little because neither outcome waits on the other. That took the AES-NI scan from
 * about 1.50 to 1.66 MH/s on the 2-core EPYC. The portable build keeps the branches: software AES
 * is too dear to compute twice.
 */
/* (uint32)((int64)lo % (int32)sel): the C remainder of spec §5.5 cases 0x0c and 0x18. */
static inline lane_t mod_lane(uint64_t dividend, uint64_t sel) {
    int64_t m = (int64_t)dividend % (int64_t)(int32_t)(uint32_t)sel;
    return L_SET64((uint32_t)m, 0);
}

/* clmul10 of the four buffer lanes, each computed at most once per hash (software-clmul builds;
 * the others recompute: a hardware clmul is cheaper than the bookkeeping). `have` has bit i set
 * once v[i] holds clmul10(pb[i]); the scan presets the lanes that do not depend on the nonce. */
typedef struct {
    lane_t v[4];
    unsigned have;
} clp_memo;

#if VH_CACHE_CLMUL_P
static inline lane_t clp_get(clp_memo *m, const lane_t pb[4], unsigned i) {
    if (!((m->have >> i) & 1)) {
        m->have |= 1u << i;
        m->v[i] = L_CLMUL10(pb[i]);
    }
    return m->v[i];
}
#define CLP(i) clp_get(memo, pb, (i))
#else
#define CLP(i) L_CLMUL10(pb[i])
#endif

/* Case 0x14 (spec §5.5): R+1 steps, each AES2+MIX2 or a clmul, chosen by bit 28+rounds of sel. */
static inline __attribute__((always_inline)) lane_t
case14(lane_t acc, uint64_t sel, uint32_t pr, uint32_t px, lane_t P, lane_t O, uint8_t *key, int R) {
    uint32_t ptr = pr, aoff = 0;
    for (int rounds = R; rounds >= 0; rounds--) {
        lane_t k = K_LD(ptr);
        ptr++;
        const unsigned use_clmul = (unsigned)(sel >> (28 + rounds)) & 1;
#if VH_BRANCHLESS
        /* neither outcome depends on acc, so computing both costs little latency */
        lane_t c = L_CLMUL10(L_XOR(k, (rounds & 1) ? P : O));
        lane_t y = (rounds & 1) ? O : P;
        aes2_mix2(&k, &y, key, ptr + aoff); /* ptr already advanced: pitfall 6 */
        acc = L_XOR(acc, L_BLEND(L_MASK(use_clmul), c, L_XOR(k, y)));
        aoff += (use_clmul ^ 1) << 2;
#else
        if (use_clmul) {
            acc = L_XOR(acc, L_CLMUL10(L_XOR(k, (rounds & 1) ? P : O)));
        } else {
            lane_t y = (rounds & 1) ? O : P;
            aes2_mix2(&k, &y, key, ptr + aoff); /* ptr already advanced: pitfall 6 */
            aoff += 4;
            acc = L_XOR(L_XOR(acc, k), y);
        }
#endif
    }
    lane_t a = K_LD(pr);
    lane_t b = L_XOR(a, L_MULHRS(acc, a));
    lane_t c = K_LD(px);
    K_ST(px, b);
    K_ST(pr, c);
    return acc;
}

/* Case 0x18 (spec §5.5): R+1 steps, each a modulo or a clmul+mulhrs, chosen like case 0x14. */
static inline __attribute__((always_inline)) lane_t
case18(lane_t acc, uint64_t sel, uint32_t pr, uint32_t px, lane_t P, lane_t O, uint8_t *key, int R) {
    uint32_t ptr = pr;
    lane_t k = L_SET64(0, 0); /* always assigned: the loop runs at least once */
    for (int rounds = R; rounds >= 0; rounds--) {
        k = K_LD(ptr);
        ptr++;
        const unsigned use_mod = (unsigned)(sel >> (28 + rounds)) & 1;
#if VH_BRANCHLESS_MOD
        lane_t km = L_XOR(k, (rounds & 1) ? P : O);
        lane_t kc = L_CLMUL10(L_XOR(k, (rounds & 1) ? O : P));
        const lane_t m = L_MASK(use_mod);
        acc = L_BLEND(m, L_XOR(acc, mod_lane(L_LO64(km), sel)),
                      L_XOR(acc, L_MULHRS(acc, kc)));
        k = L_BLEND(m, km, kc);
#else
        if (use_mod) {
            k = L_XOR(k, (rounds & 1) ? P : O);
            acc = L_XOR(acc, mod_lane(L_LO64(k), sel));
        } else {
            k = L_CLMUL10(L_XOR(k, (rounds & 1) ? O : P));
            acc = L_XOR(acc, L_MULHRS(acc, k));
        }
#endif
    }
    lane_t t = L_XOR(K_LD(px), acc);
    K_ST(px, k); /* the value derived in the last step, not a loaded lane */
    K_ST(pr, t);
    return acc;
}

/* One of the 32 steps of CLHash 2.2 (spec §5.5) over pb[0..3]: mutates key lanes, records the
 * two it writes in touched[0..1] so the caller can restore them, and returns the new accumulator.
 * A step is the unit the multi-lane scan interleaves (vh_core.h). */
static inline __attribute__((always_inline)) lane_t
clhash_step(lane_t acc, const lane_t pb[4], uint8_t *key, uint16_t touched[2], clp_memo *memo) {
#if !VH_CACHE_CLMUL_P
    (void)memo;
#endif
    {
        const uint64_t sel = L_LO64(acc);
        const uint32_t pr = (uint32_t)(sel >> 5) & 511, px = (uint32_t)(sel >> 32) & 511;
        const unsigned p = (unsigned)sel & 3, o = p ^ 1;
        const lane_t P = pb[p], O = pb[o];
        touched[0] = (uint16_t)pr;
        touched[1] = (uint16_t)px;
        const unsigned c = (unsigned)(sel >> 2) & 7; /* the case, (sel & 0x1c) >> 2 */
        switch (c) {
        case 0: { /* 0x00 */
            lane_t t1 = K_LD(px);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(t1, O)));
            lane_t ta = L_XOR(L_MULHRS(acc, t1), t1);
            lane_t t12 = K_LD(pr);
            K_ST(pr, ta);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(t12, P)));
            K_ST(px, L_XOR(L_MULHRS(acc, t12), t12));
            break;
        }
        case 1: { /* 0x04 */
            lane_t t1 = K_LD(pr);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(t1, P)));
            acc = L_XOR(acc, CLP(p));
            lane_t ta = L_XOR(L_MULHRS(acc, t1), t1);
            lane_t t12 = K_LD(px);
            K_ST(px, ta);
            acc = L_XOR(acc, L_XOR(t12, O));
            K_ST(pr, L_XOR(L_MULHRS(acc, t12), t12));
            break;
        }
        case 2: { /* 0x08 */
            lane_t t1 = K_LD(px);
            acc = L_XOR(acc, L_XOR(t1, P));
            lane_t ta = L_XOR(L_MULHRS(acc, t1), t1);
            lane_t t12 = K_LD(pr);
            K_ST(pr, ta);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(t12, O)));
            acc = L_XOR(acc, CLP(o));
            K_ST(px, L_XOR(L_MULHRS(acc, t12), t12));
            break;
        }
        case 3: { /* 0x0c: modulo */
            lane_t t1 = K_LD(pr);
            acc = L_XOR(acc, L_XOR(t1, O));
            const uint64_t dividend = L_LO64(acc);
            acc = L_XOR(acc, mod_lane(dividend, sel));
            lane_t ta = L_XOR(L_MULHRS(acc, t1), t1);
            lane_t t12 = K_LD(px);
            K_ST(px, ta);
#if VH_BRANCHLESS
            /* both outcomes, then a select: the branch on the dividend is a coin flip */
            const lane_t odd = L_MASK(dividend & 1);
            lane_t acc_odd = L_XOR(L_XOR(acc, L_CLMUL10(L_XOR(t12, P))), CLP(p));
            acc = L_BLEND(odd, acc_odd, L_XOR(acc, P));
            K_ST(pr, L_BLEND(odd, L_XOR(L_MULHRS(acc_odd, t12), t12), t12));
#else
            if (dividend & 1) {
                acc = L_XOR(acc, L_CLMUL10(L_XOR(t12, P)));
                acc = L_XOR(acc, CLP(p));
                K_ST(pr, L_XOR(L_MULHRS(acc, t12), t12));
            } else {
                K_ST(pr, t12);
                acc = L_XOR(acc, P);
            }
#endif
            break;
        }
        case 4: { /* 0x10: AES */
            lane_t x = O, y = P;
            aes2_mix2(&x, &y, key, pr);
            aes2_mix2(&x, &y, key, pr + 4);
            aes2_mix2(&x, &y, key, pr + 8);
            acc = L_XOR(acc, L_XOR(x, y));
            lane_t a = K_LD(pr);
            lane_t b = L_XOR(a, L_MULHRS(acc, a));
            lane_t c = K_LD(px);
            K_ST(px, b);
            K_ST(pr, c);
            break;
        }
        case 5: /* 0x14 */
            acc = case14(acc, sel, pr, px, P, O, key, (int)(sel >> 61));
            break;
        case 6: /* 0x18 */
            acc = case18(acc, sel, pr, px, P, O, key, (int)(sel >> 61));
            break;
        case 7: { /* 0x1c */
            lane_t t2 = K_LD(px);
            acc = L_XOR(acc, L_CLMUL10(L_XOR(P, t2)));
            lane_t a2 = L_XOR(L_MULHRS(acc, t2), t2);
            lane_t a3 = K_LD(pr);
            K_ST(pr, a2);
            acc = L_XOR(acc, a3);
            acc = L_XOR(acc, O);
            K_ST(px, L_XOR(L_MULHRS(acc, a3), a3));
            break;
        }
        }
    }
    return acc;
}

/* Spec §5.6: the length term, then the reduction modulo x^64 + x^4 + x^3 + x + 1: the 64-bit
 * intermediate I. */
static inline uint64_t clhash_final(lane_t acc) {
    acc = L_XOR(acc, L_SET64(0x10000, 0));
#ifdef L_CLMUL_1B
    lane_t q2 = L_CLMUL_1B(L_HI64(acc));
    lane_t q3 = L_CLMUL_1B(L_HI64(q2));
#else
    lane_t q2 = L_CLMUL10(L_SET64(L_HI64(acc), 0x1b));
    lane_t q3 = L_CLMUL10(L_SET64(L_HI64(q2), 0x1b));
#endif
    return L_LO64(acc) ^ L_LO64(q2) ^ L_LO64(q3);
}

/* CLHash 2.2 (spec §5.4–5.6) over pb[0..3], mutating key lanes; records the 64 written lane
 * indexes in `touched` so the caller can restore them. Returns I. */
static inline uint64_t clhash22(const lane_t pb[4], uint8_t *key, uint16_t touched[64],
                                clp_memo *memo) {
    lane_t acc = K_LD(513);
    for (int it = 0; it < 32; it++) acc = clhash_step(acc, pb, key, touched + 2 * it, memo);
    return clhash_final(acc);
}
