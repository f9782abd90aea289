"""Server time of "Find a free room" and the week view for 50 facilities on the demo school.

Run: ``python -m bench.find [--requests N]``. It builds the grid benchmark's school (the demo
school with facilities up to 50, every other period of the next school day booked), signs
in as the demo teacher and times, in process: a search for one day, a search for that
weekday every week to the end of term, and the week view of that week, with the SQL
queries each one runs (the searches read the held slots once, whatever the rooms).
"""

import argparse

from sqlalchemy import event

from roomloop.extensions import db
from roomloop.models import Facility

from .grid import demo_school, report, time_requests


def queries_of(app, client, url):
    """How many SQL statements one request for ``url`` runs, once warm."""
    with app.app_context():
        counted = []

        def count(*_args):
            counted.append(1)

        time_requests(client, url, 3)  # warm-up: templates compiled, caches filled
        event.listen(db.engine, "before_cursor_execute", count)
        time_requests(client, url, 1)
        event.remove(db.engine, "before_cursor_execute", count)
        return len(counted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with demo_school() as (app, client, day):
        with app.app_context():
            rooms = Facility.query.count()
        search = f"/find?date={day.isoformat()}&start_slot=2&end_slot=2"
        urls = {
            "find, one day": search,
            "find, every week": search + "&weekly=1",
            "week view": f"/week?week={day.isoformat()}&start_slot=2&end_slot=3",
        }
        print(f"{rooms} facilities, {day} (SQLite, in process, {args.requests} requests each)")
        for name, url in urls.items():
            queries = queries_of(app, client, url)
            report(name, time_requests(client, url, args.requests), queries)


if __name__ == "__main__":
    main()
