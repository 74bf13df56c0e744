"""The compiled exact top-k kernel (numba), kept apart so that importing the engine does not
import numba: web processes never pay for it, workers pay on their first full computation.
Same results as the numpy path in engine.py, bit for bit."""

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


@numba.njit(cache=True, nogil=True)
def _nb_theta(n_touched, touched, acc, blocked, elig, comp_q, goal_bits, popcount, cap, g, k, hist):
    """Lower bound of the k-th best lower bound among valid touched people (-1: unknown).

    Pass 1 bins everyone's partial cosine; pass 2 scores (goal included) only the people
    whose partial cosine is among the best ~16 k, and takes the k-th best of those. A subset
    gives a valid lower bound; in practice it holds the true top k.
    """
    nb = hist.shape[0]
    hist[:] = 0
    for i in range(n_touched):
        b = int(acc[touched[i]] * nb)
        hist[min(b, nb - 1)] += 1
    want = 16 * k
    c = 0
    b0 = 0
    for b in range(nb - 1, -1, -1):
        c += hist[b]
        if c >= want:
            b0 = b
            break
    p0 = np.float32(b0 / nb)
    hist[:] = 0
    one_g = 1.0 - g
    cnt = 0
    for i in range(n_touched):
        j = touched[i]
        part = acc[j]
        if part < p0 or blocked[j] or not elig[j]:
            continue
        lb = one_g * part
        if g > 0.0:
            lb += g * _nb_goal(comp_q, goal_bits[j], popcount, cap)
        b = int(lb * nb)
        hist[min(b, nb - 1)] += 1
        cnt += 1
    if cnt < k:
        return -1.0
    c = 0
    for b in range(nb - 1, -1, -1):
        c += hist[b]
        if c >= k:
            return b / nb
    return -1.0


@numba.njit(cache=True, nogil=True)
def _nb_heap_worse(sf_a, idx_a, sf_b, idx_b):
    return sf_a < sf_b or (sf_a == sf_b and idx_a > idx_b)


@numba.njit(cache=True, nogil=True)
def _nb_sift_down(hsf, hidx, hcos, hgoal, size, pos):
    while True:
        left = 2 * pos + 1
        if left >= size:
            return
        w = left
        right = left + 1
        if right < size and _nb_heap_worse(hsf[right], hidx[right], hsf[left], hidx[left]):
            w = right
        if not _nb_heap_worse(hsf[w], hidx[w], hsf[pos], hidx[pos]):
            return
        hsf[pos], hsf[w] = hsf[w], hsf[pos]
        hidx[pos], hidx[w] = hidx[w], hidx[pos]
        hcos[pos], hcos[w] = hcos[w], hcos[pos]
        hgoal[pos], hgoal[w] = hgoal[w], hgoal[pos]
        pos = w


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
    tw,
    maxw,
    invnorm,
    invmax,
    goal_bits,
    comp_bits,
    popcount,
    elig,
    ex_ptr,
    ex_idx,
    g,
    cap,
    eps,
    check_ratio,
    max_checks,
    acc,
    touched,
    blocked,
    qdense,
    hist,
    order,
    rem,
    remtw,
    tail2,
    post,
    hsf,
    hidx,
    hcos,
    hgoal,
    out_idx,
    out_cos,
    out_goal,
    out_sf,
    stats,
):
    """Exact top-k of query rows lo..hi-1; the work buffers are left as they were found."""
    one_g = 1.0 - g
    for r in range(lo, hi):
        q = qrows[r]
        s = Xp[q]
        nt = Xp[q + 1] - s
        if nt == 0:
            continue
        # the query's tags, rarest first (postings length asc, then tag id)
        for a in range(nt):
            order[a] = a
        for a in range(1, nt):
            m = order[a]
            dm = Tp[Xi[s + m] + 1] - Tp[Xi[s + m]]
            b = a - 1
            while b >= 0:
                o = order[b]
                do = Tp[Xi[s + o] + 1] - Tp[Xi[s + o]]
                if do > dm or (do == dm and Xi[s + o] > Xi[s + m]):
                    order[b + 1] = o
                    b -= 1
                else:
                    break
            order[b + 1] = m
        # suffix bounds of what the tags from position a on can still add
        rem[nt] = 0.0
        remtw[nt] = 0.0
        tail2[nt] = 0.0
        post[nt] = 0
        for a in range(nt - 1, -1, -1):
            m = order[a]
            t = Xi[s + m]
            w = np.float64(Xd[s + m])
            rem[a] = rem[a + 1] + w * maxw[t]
            remtw[a] = remtw[a + 1] + w * tw[t]
            tail2[a] = tail2[a + 1] + w * w
            post[a] = post[a + 1] + (Tp[t + 1] - Tp[t])
        for p in range(s, s + nt):
            qdense[Xi[p]] = Xd[p]
        blocked[q] = 1
        for p in range(ex_ptr[r], ex_ptr[r + 1]):
            blocked[ex_idx[p]] = 1
        comp_q = comp_bits[q]
        gmax = 0.0
        if g > 0.0:
            gm = popcount[comp_q]
            if gm > cap:
                gm = cap
            gmax = gm / cap
        # 1. accumulate, rarest tag first; stop once no untouched person can reach theta
        theta = -1.0
        checks = 0
        n_touched = 0
        stop = nt
        for a in range(nt):
            if a > 0 and n_touched >= k:
                bound = one_g * min(rem[a], np.sqrt(tail2[a])) + g * gmax + eps
                if theta <= bound and checks < max_checks and post[a] > check_ratio * n_touched:
                    th = _nb_theta(
                        n_touched,
                        touched,
                        acc,
                        blocked,
                        elig,
                        comp_q,
                        goal_bits,
                        popcount,
                        cap,
                        g,
                        k,
                        hist,
                    )
                    checks += 1
                    if th > theta:
                        theta = th
                if theta > bound:
                    stop = a
                    break
            m = order[a]
            t = Xi[s + m]
            w = Xd[s + m]
            for p in range(Tp[t], Tp[t + 1]):
                j = Ti[p]
                v = acc[j]
                touched[n_touched] = j
                n_touched += v == 0.0
                acc[j] = v + w * Td[p]
            stats[0] += Tp[t + 1] - Tp[t]
        stats[1] += n_touched
        stats[2] += checks
        stats[3] += nt - stop
        # 2. touched people whose upper bound reaches the threshold: exact score, k-heap
        rt = remtw[stop]
        thr = theta - eps if theta >= 0.0 else -1.0
        # necessary condition on the partial cosine alone (the cheap test of each person)
        slack = rt * invmax + (g * gmax + eps) / one_g
        pthr = thr / one_g - slack
        size = 0
        for i in range(n_touched):
            j = touched[i]
            part = acc[j]
            acc[j] = 0.0
            if part < pthr or blocked[j] or not elig[j]:
                continue
            goal = _nb_goal(comp_q, goal_bits[j], popcount, cap)
            ub = one_g * (part + rt * invnorm[j]) + g * goal + eps
            if ub < thr or (size == k and ub < hsf[0]):
                continue
            stats[4] += 1
            c = np.float32(0.0)
            for p in range(Xp[j], Xp[j + 1]):
                c += Xd[p] * qdense[Xi[p]]
            sf = one_g * np.float64(c) + g * np.float64(goal)
            if size < k:
                pos = size
                size += 1
                hsf[pos] = sf
                hidx[pos] = j
                hcos[pos] = c
                hgoal[pos] = goal
                while pos > 0:
                    par = (pos - 1) // 2
                    if not _nb_heap_worse(hsf[pos], hidx[pos], hsf[par], hidx[par]):
                        break
                    hsf[pos], hsf[par] = hsf[par], hsf[pos]
                    hidx[pos], hidx[par] = hidx[par], hidx[pos]
                    hcos[pos], hcos[par] = hcos[par], hcos[pos]
                    hgoal[pos], hgoal[par] = hgoal[par], hgoal[pos]
                    pos = par
            elif _nb_heap_worse(hsf[0], hidx[0], sf, j):
                hsf[0] = sf
                hidx[0] = j
                hcos[0] = c
                hgoal[0] = goal
                _nb_sift_down(hsf, hidx, hcos, hgoal, size, 0)
            if size == k and hsf[0] > thr:
                thr = hsf[0]
                pthr = thr / one_g - slack
        # 3. heap -> best first; restore the buffers
        while size > 0:
            size -= 1
            out_idx[r, size] = hidx[0]
            out_cos[r, size] = hcos[0]
            out_goal[r, size] = hgoal[0]
            out_sf[r, size] = hsf[0]
            hsf[0] = hsf[size]
            hidx[0] = hidx[size]
            hcos[0] = hcos[size]
            hgoal[0] = hgoal[size]
            _nb_sift_down(hsf, hidx, hcos, hgoal, size, 0)
        for p in range(s, s + nt):
            qdense[Xi[p]] = 0.0
        blocked[q] = 0
        for p in range(ex_ptr[r], ex_ptr[r + 1]):
            blocked[ex_idx[p]] = 0
