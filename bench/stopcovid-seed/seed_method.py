"""The Stop-Covid seed's own method, in its own language (Python's sqlite3), for bench/stopcovid.ts.

Reads the population and its moves from a file the bench writes (int32 little-endian: n, ticks, then
status0[n], then per tick xs[n], ys[n]), so both sides see the same people in the same places. Per tick,
as Stop_covid.py: an UPDATE per person, the GROUP BY / HAVING self-join, then (the README's intended
rule) an UPDATE per 0 in a cell with a 1 or a 2. One open transaction, never committed, as the seed.
Prints the person-ticks/s by CPU time (time.process_time) and writes the final statuses to `out`.
"""
import os
import sqlite3
import sys
import tempfile
import time
from array import array


def main(moves_path: str, out_path: str) -> None:
    data = array("i")
    with open(moves_path, "rb") as f:
        data.frombytes(f.read())
    n, ticks = data[0], data[1]
    status0 = data[2 : 2 + n]
    at = 2 + n
    folder = tempfile.mkdtemp(prefix="runnel-seed-")
    db = sqlite3.connect(os.path.join(folder, "stop_covid.db"))
    cur = db.cursor()
    cur.execute(
        "CREATE TABLE people(people_id INTEGER PRIMARY KEY, phone_nb INTEGER, pos_x INTEGER, pos_y INTEGER, health_status INTEGER)"
    )
    xs, ys = data[at : at + n], data[at + n : at + 2 * n]
    for i in range(n):
        cur.execute("INSERT INTO people VALUES (?, ?, ?, ?, ?)", (i + 1, 33600000000 + i, xs[i], ys[i], status0[i]))
    cpu = 0.0
    for tick in range(ticks):
        xs, ys = data[at : at + n], data[at + n : at + 2 * n]
        at += 2 * n
        t = time.process_time()
        if tick > 0:
            for i in range(n):
                cur.execute("UPDATE people SET pos_x = ?, pos_y = ? WHERE people_id = ?", (xs[i], ys[i], i + 1))
        cur.execute(
            "SELECT A.people_id, A.pos_x, A.pos_y, A.health_status FROM people A INNER JOIN "
            "(SELECT pos_x, pos_y FROM people GROUP BY pos_x, pos_y HAVING COUNT(*) > 1) B "
            "ON A.pos_x = B.pos_x AND A.pos_y = B.pos_y"
        )
        rows = cur.fetchall()
        exposed = {(x, y) for (_, x, y, s) in rows if s != 0}
        for pid, x, y, s in rows:
            if s == 0 and (x, y) in exposed:
                cur.execute("UPDATE people SET health_status = 1 WHERE people_id = ?", (pid,))
        cpu += time.process_time() - t
    final = array("i", (s for (s,) in cur.execute("SELECT health_status FROM people ORDER BY people_id")))
    with open(out_path, "wb") as f:
        f.write(final.tobytes())
    db.rollback()
    db.close()
    os.remove(os.path.join(folder, "stop_covid.db"))
    os.rmdir(folder)
    print(round(n * ticks / cpu))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
