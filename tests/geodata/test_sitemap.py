"""The map's one-pass choice of each site's two latest rounds (geodata.sitemap), against
a brute-force reading of the same rows, whatever order the store returns them in."""

import random

from geodata.sitemap import keep_latest_two_rounds


def brute_force(rows):
    winners = {}
    for site, round_number, seq, *_ in rows:
        best = winners.setdefault(site, {}).get(round_number)
        if best is None or seq > best[2]:
            winners[site][round_number] = (site, round_number, seq, *_)
    chosen = {}
    for site, by_round in winners.items():
        rounds = sorted(by_round, reverse=True)
        chosen[site] = [by_round[rounds[0]], by_round[rounds[1]] if len(rounds) > 1 else None]
    return chosen


def test_two_latest_rounds_in_any_order():
    rng = random.Random(7)
    seqs = iter(rng.sample(range(1, 100_000), 5_000))
    rows = [
        (site, round_number, next(seqs), rng.randint(0, 500))
        for site in range(300)
        for round_number in rng.sample(range(1, 9), rng.randint(1, 5))
        for _ in range(rng.choice((1, 1, 1, 2, 3)))  # a site assessed twice in a round
    ]
    expected = brute_force(rows)
    assert any(e[1] is None for e in expected.values())  # sites with one round only
    for _ in range(20):
        rng.shuffle(rows)
        assert keep_latest_two_rounds(rows) == expected
    rows.sort(key=lambda r: (r[1], r[0], r[2]))  # SQLite's index order
    assert keep_latest_two_rounds(rows) == expected
