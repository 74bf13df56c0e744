"""The compiled exact top-k kernel (numba), kept apart so that importing the engine does not
import numba: web processes never pay for it, workers pay on their first full computation.
Same results as the numpy path in engine.py, bit for bit.

Per query row:

1. every posting of the row's tags is added into a dense float32 accumulator, in the row's
   column order, so that each person's accumulated value is their exact float32 cosine: the
   same products summed in the same order as the numpy path's rescoring;
2. a vectorised pass computes everyone's score in float32 and the best score of each block
   of `bs` people;
3. the (k + blocked)-th best block maximum is a lower bound of the k-th best score;
4. only the blocks whose maximum reaches that threshold are read person by person, and the
   people there who reach it are offered with their exact score, in row order (if the offers
   fill their buffer, the k best are kept and the threshold rises to the k-th best);
5. the offers are ranked: score descending, ties in row order.

The float32 filter scores differ from the exact float64 scores by far less than the slack
`eps` subtracted from every threshold, so nobody who belongs in the top k is filtered out.
"""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _nb_goal(comp_q, bits_j, popcount, cap):
    """Goal term (float32) exactly as `_goal_term` computes it."""
    hits = comp_q & bits_j
    if cap == 1:
        return np.float32(1.0) if hits != 0 else np.float32(0.0)
    n = popcount[hits]
    if n > cap:
        n = cap
    return np.float32(n) / np.float32(cap)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _nb_block_max(acc, goal_bits, elig, base, e, comp_q, one_g32, g32, bs, sbuf, sbuf_bits, bmax):
    """Best score of each block of bs people among people base..e-1 (base a multiple of bs)
    into bmax[base // bs ...], as float32 bit patterns (0: nobody touched and eligible).

    Goal term 0 or 1 (goal_pair_cap 1). Scores are >= 0, so their bit patterns order like the
    floats and the max is an integer max. Simple branch-free loops over slices, so that they
    vectorise; fastmath only reorders this filter's arithmetic, never an exact score.
    """
    part = acc[base:e]
    bits = goal_bits[base:e]
    ok = elig[base:e]
    nn = part.shape[0]
    cq = np.int32(comp_q)
    zero = np.float32(0.0)
    for i in range(nn):
        h = np.float32(np.int32(bits[i]) & cq != 0)
        s = one_g32 * part[i] + g32 * h
        sbuf[i] = s * np.float32(part[i] > zero) * np.float32(ok[i])
    _nb_block_max_bits(sbuf_bits, nn, base // bs, bs, bmax)


@numba.njit(cache=True, nogil=True)
def _nb_block_max_capped(
    acc, goal_bits, elig, base, e, comp_q, popcount, cap, one_g32, g32, bs, sbuf, sbuf_bits, bmax
):
    """`_nb_block_max` for goal_pair_cap > 1 (goal term min(pairs, cap) / cap)."""
    for i in range(e - base):
        part = acc[base + i]
        if part > 0.0 and elig[base + i]:
            sbuf[i] = one_g32 * part + g32 * _nb_goal(comp_q, goal_bits[base + i], popcount, cap)
        else:
            sbuf[i] = np.float32(0.0)
    _nb_block_max_bits(sbuf_bits, e - base, base // bs, bs, bmax)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _nb_block_max_bits(sbuf_bits, nn, b0, bs, bmax):
    """bmax[b0 + b] = max of sbuf_bits over its block b of bs entries, for sbuf_bits[:nn].

    The usual block sizes get a loop with a constant length, which vectorises far better.
    """
    if bs == 8:
        for b in range((nn + 7) // 8):
            m = np.int32(0)
            for i in range(b * 8, min(nn, b * 8 + 8)):
                m = max(m, sbuf_bits[i])
            bmax[b0 + b] = m
    elif bs == 16:
        for b in range((nn + 15) // 16):
            m = np.int32(0)
            for i in range(b * 16, min(nn, b * 16 + 16)):
                m = max(m, sbuf_bits[i])
            bmax[b0 + b] = m
    elif bs == 32:
        for b in range((nn + 31) // 32):
            m = np.int32(0)
            for i in range(b * 32, min(nn, b * 32 + 32)):
                m = max(m, sbuf_bits[i])
            bmax[b0 + b] = m
    elif bs == 64:
        for b in range((nn + 63) // 64):
            m = np.int32(0)
            for i in range(b * 64, min(nn, b * 64 + 64)):
                m = max(m, sbuf_bits[i])
            bmax[b0 + b] = m
    else:
        for b in range((nn + bs - 1) // bs):
            m = np.int32(0)
            for i in range(b * bs, min(nn, b * bs + bs)):
                m = max(m, sbuf_bits[i])
            bmax[b0 + b] = m


@numba.njit(cache=True, nogil=True)
def _nb_sort_offers(osf, oidx, tsf, tidx, count):
    """Sort the offers by score, descending, stably (ties keep their offer order), with a
    bottom-up merge sort into the scratch arrays tsf/tidx; returns whether the sorted offers
    ended up in the scratch arrays (True) or back in osf/oidx (False)."""
    src_sf, src_idx, dst_sf, dst_idx = osf, oidx, tsf, tidx
    in_scratch = False
    width = 1
    while width < count:
        for lo in range(0, count, 2 * width):
            mid = min(lo + width, count)
            hi = min(lo + 2 * width, count)
            i = lo
            j = mid
            o = lo
            while i < mid and j < hi:
                if src_sf[j] > src_sf[i]:
                    dst_sf[o] = src_sf[j]
                    dst_idx[o] = src_idx[j]
                    j += 1
                else:
                    dst_sf[o] = src_sf[i]
                    dst_idx[o] = src_idx[i]
                    i += 1
                o += 1
            while i < mid:
                dst_sf[o] = src_sf[i]
                dst_idx[o] = src_idx[i]
                i += 1
                o += 1
            while j < hi:
                dst_sf[o] = src_sf[j]
                dst_idx[o] = src_idx[j]
                j += 1
                o += 1
        src_sf, src_idx, dst_sf, dst_idx = dst_sf, dst_idx, src_sf, src_idx
        in_scratch = not in_scratch
        width *= 2
    return in_scratch


@numba.njit(cache=True, nogil=True)
def _nb_max_bits(bmax, nbk):
    """The largest of bmax[:nbk] (float32 bit patterns of non-negative scores)."""
    m = np.int32(0)
    for b in range(nbk):
        m = max(m, bmax[b])
    return m


@numba.njit(cache=True, nogil=True)
def _nb_argmax_bits(bmax, nbk, top):
    """Index of the first block whose maximum is top."""
    for b in range(nbk):
        if bmax[b] == top:
            return b
    return 0


@numba.njit(cache=True, nogil=True)
def _nb_rank(osf, count, i):
    """Rank of offer i among the first count offers: better scores first, ties in offer order."""
    s = osf[i]
    rank = 0
    for j in range(count):
        rank += (osf[j] > s) | ((osf[j] == s) & (j < i))
    return rank


@numba.njit(cache=True, nogil=True)
def _nb_keep_best(osf, oidx, tsf, tidx, count, k):
    """Keep only the k best offers, best first, in osf/oidx; returns (k, the k-th best score).

    Equal scores stay in row order, and later offers have higher rows, so a stable sort of
    the buffer still breaks ties by row.
    """
    if _nb_sort_offers(osf, oidx, tsf, tidx, count):
        for i in range(k):
            osf[i] = tsf[i]
            oidx[i] = tidx[i]
    return k, osf[k - 1]


@numba.njit(cache=True, nogil=True)
def _nb_rows(
    lo,
    hi,
    qrows,
    k,
    Xp,
    Xi,
    Xd,
    Tp,
    Ti,
    Td,
    goal_bits,
    comp_bits,
    popcount,
    elig,
    ex_ptr,
    ex_idx,
    g,
    cap,
    eps,
    bs,
    acc,
    blocked,
    sbuf,
    sbuf_bits,
    bmax,
    bmax_f,
    hist,
    osf,
    oidx,
    tsf,
    tidx,
    out_idx,
    out_cos,
    out_goal,
    out_sf,
    stats,
):
    """Exact top-k of query rows lo..hi-1; the work buffers are left as they were found."""
    one_g = 1.0 - g
    one_g32 = np.float32(one_g)
    g32 = np.float32(g)
    n = acc.shape[0]
    nch = sbuf.shape[0]
    zero32 = np.float32(0.0)
    for r in range(lo, hi):
        q = qrows[r]
        s = Xp[q]
        nt = Xp[q + 1] - s
        if nt == 0:
            continue
        # 1. Accumulate every posting of the row's tags, in column order: acc[j] becomes j's
        #    cosine, summed exactly as the numpy path sums it. Unsigned indices keep the
        #    negative-index wraparound code out of this, the hottest loop.
        for p0 in range(s, s + nt):
            t = Xi[p0]
            w = Xd[p0]
            for p in range(np.uint64(Tp[t]), np.uint64(Tp[t + 1])):
                j = Ti[p]
                acc[j] += w * Td[p]
            stats[0] += Tp[t + 1] - Tp[t]
        blocked[q] = 1
        for p in range(ex_ptr[r], ex_ptr[r + 1]):
            blocked[ex_idx[p]] = 1
        comp_q = comp_bits[q]
        # 2. Everyone's score (float32, vectorised, a chunk at a time) and the best score of
        #    each block of bs people.
        for base in range(0, n, nch):
            e = min(n, base + nch)
            if cap == 1 or g == 0.0:
                _nb_block_max(
                    acc, goal_bits, elig, base, e, comp_q, one_g32, g32, bs, sbuf, sbuf_bits, bmax
                )
            else:
                _nb_block_max_capped(
                    acc,
                    goal_bits,
                    elig,
                    base,
                    e,
                    comp_q,
                    popcount,
                    cap,
                    one_g32,
                    g32,
                    bs,
                    sbuf,
                    sbuf_bits,
                    bmax,
                )
        # 3. Distinct blocks' maxima are distinct people, and at most 1 + #excluded of them are
        #    blocked (ineligible people score 0 there), so the (k + 1 + #excluded)-th best
        #    block maximum is a lower bound of the k-th best valid score. It is read off a
        #    histogram (the lower edge of its bin, so it stays a lower bound).
        nbk = (n + bs - 1) // bs
        rank = k + 1 + (ex_ptr[r + 1] - ex_ptr[r])
        top = _nb_max_bits(bmax, nbk)
        seed = 0.0
        if top > 0:
            # bins over [0, best block maximum]; the zeros (empty blocks) land in bin 0
            nbins = hist.shape[0]
            scale = nbins / np.float64(bmax_f[_nb_argmax_bits(bmax, nbk, top)])
            hist[:] = 0
            for b in range(nbk):
                hist[min(int(bmax_f[b] * scale), nbins - 1)] += 1
            cum = 0
            for h in range(nbins - 1, 0, -1):
                cum += hist[h]
                if cum >= rank:
                    seed = h / scale
                    break
        # 4. People whose float32 score reaches the threshold (in blocks whose best does) are
        #    offered with their exact score (acc[j] is the exact cosine), in row order. When
        #    the offers fill their buffer, only the k best are kept and the threshold rises to
        #    the k-th best. The slack eps covers the float32 filter's rounding.
        thr = seed - eps if seed > 0.0 else -1.0
        thr32 = np.float32(thr)
        count = 0
        for b in range(nbk):
            if bmax_f[b] < thr32 or bmax[b] == 0:
                continue
            stats[1] += 1
            for j in range(np.uint64(b * bs), np.uint64(min(n, b * bs + bs))):
                c = acc[j]
                s32 = one_g32 * c + (g32 if comp_q & goal_bits[j] else zero32)
                if s32 < thr32 or c <= 0.0 or blocked[j] or not elig[j]:
                    continue
                goal = _nb_goal(comp_q, goal_bits[j], popcount, cap)
                sf = one_g * np.float64(c) + g * np.float64(goal)
                if sf < thr:
                    continue
                stats[2] += 1
                osf[count] = sf
                oidx[count] = j
                count += 1
                if count == osf.shape[0]:
                    count, kth = _nb_keep_best(osf, oidx, tsf, tidx, count, k)
                    thr = kth - eps
                    thr32 = np.float32(thr)
        # 5. the k best offers, best first (a stable sort: ties keep row order); the cosine is
        #    still in acc. Restore the buffers.
        if 0 < count <= 256:
            # few offers (the usual case): each one's rank by counting, branch-free
            for i in range(count):
                rank_i = _nb_rank(osf, count, i)
                if rank_i < k:
                    j = oidx[i]
                    out_idx[r, rank_i] = j
                    out_sf[r, rank_i] = osf[i]
                    out_cos[r, rank_i] = acc[j]
                    out_goal[r, rank_i] = _nb_goal(comp_q, goal_bits[j], popcount, cap)
        elif count > 256:
            if _nb_sort_offers(osf, oidx, tsf, tidx, count):
                bsf, bidx = tsf, tidx
            else:
                bsf, bidx = osf, oidx
            for i in range(min(k, count)):
                j = bidx[i]
                out_idx[r, i] = j
                out_sf[r, i] = bsf[i]
                out_cos[r, i] = acc[j]
                out_goal[r, i] = _nb_goal(comp_q, goal_bits[j], popcount, cap)
        for j in range(np.uint64(0), np.uint64(n)):
            acc[j] = 0.0
        stats[3] += 1
        blocked[q] = 0
        for p in range(ex_ptr[r], ex_ptr[r + 1]):
            blocked[ex_idx[p]] = 0
