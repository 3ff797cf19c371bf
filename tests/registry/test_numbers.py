"""Filing and correction-notice numbers: 13 digits, per unit and year, never duplicated, never skipped."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.db import make_engine
from registry.errors import InvalidInput
from registry.numbering.models import NumberCounter, NumberKind
from registry.numbering.service import next_number, take_serials
from registry.settings import Settings


def _take(engine: Engine, unit: str, year: int, kind: NumberKind = NumberKind.filing) -> str:
    with Session(engine) as session:
        number = next_number(session, unit_code=unit, year=year, kind=kind)
        session.commit()
        return number


def test_source_examples_first_and_hundredth_of_dongcheng_2013(engine: Engine) -> None:
    numbers = [_take(engine, "101", 2013) for _ in range(100)]
    assert numbers[0] == "1012013000001"
    assert numbers[99] == "1012013000100"


def test_sequences_are_separate_per_unit_year_and_kind(engine: Engine) -> None:
    assert _take(engine, "101", 2026) == "1012026000001"
    assert _take(engine, "101", 2026, NumberKind.correction) == "1012026000001"
    assert _take(engine, "102", 2026) == "1022026000001"
    assert _take(engine, "101", 2027) == "1012027000001"
    assert _take(engine, "101", 2026) == "1012026000002"


def test_rolled_back_transaction_leaves_no_hole(engine: Engine) -> None:
    with Session(engine) as session:
        assert next_number(session, unit_code="105", year=2026, kind=NumberKind.filing) == "1052026000001"
        session.rollback()
    assert _take(engine, "105", 2026) == "1052026000001"


def test_station_has_no_filing_code(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(InvalidInput) as info:
        next_number(session, unit_code="11010101", year=2026, kind=NumberKind.filing)
    assert info.value.field == "filing_unit_code"


def test_camera_serials_never_go_back(engine: Engine) -> None:
    with Session(engine) as session:
        assert take_serials(session, prefix="11010100501328", count=3) == [1, 2, 3]
        session.commit()
    with Session(engine) as session:
        take_serials(session, prefix="11010100501328", count=2)
        session.rollback()
    with Session(engine) as session:
        assert take_serials(session, prefix="11010100501328", count=1) == [4]


def _worker(settings_json: str, unit: str, count: int, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(Settings.model_validate_json(settings_json))
    taken = []
    for _ in range(count):
        with Session(engine) as session:
            number = next_number(session, unit_code=unit, year=2026, kind=NumberKind.filing)
            # Hold the transaction open a moment so the workers really overlap.
            time.sleep(0.002)
            session.commit()
            taken.append(number)
    queue.put(taken)


def _hold_and_die(settings_json: str, ready: mp.Event) -> None:  # type: ignore[type-arg]
    engine = make_engine(Settings.model_validate_json(settings_json))
    session = Session(engine)
    next_number(session, unit_code="101", year=2026, kind=NumberKind.filing)
    ready.set()
    time.sleep(60)  # killed here, mid-transaction, while holding the counter


@pytest.mark.slow
def test_concurrent_processes_get_unique_gap_free_numbers(settings: Settings, engine: Engine) -> None:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    workers = [ctx.Process(target=_worker, args=(settings.model_dump_json(), "101", 25, queue)) for _ in range(4)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    numbers = sorted(n for batch in results for n in batch)
    assert len(numbers) == len(set(numbers)) == 100
    assert numbers == [f"1012026{i:06d}" for i in range(1, 101)]


@pytest.mark.slow
def test_process_killed_mid_transaction_leaves_no_hole(settings: Settings, engine: Engine) -> None:
    assert _take(engine, "101", 2026) == "1012026000001"
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    victim = ctx.Process(target=_hold_and_die, args=(settings.model_dump_json(), ready))
    victim.start()
    assert ready.wait(60), "the victim never took a number"
    assert victim.pid is not None
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(timeout=30)
    # The dead process's number was never committed: the next one continues without a hole.
    assert _take(engine, "101", 2026) == "1012026000002"
    with Session(engine) as session:
        counter = session.exec(select(NumberCounter).where(NumberCounter.unit_code == "101")).one()
        assert counter.last == 2


def _serial_worker(settings_json: str, count: int, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(Settings.model_validate_json(settings_json))
    taken: list[int] = []
    for _ in range(count):
        with Session(engine) as session:
            taken += take_serials(session, prefix="11010100501328", count=3)
            time.sleep(0.002)
            session.commit()
    queue.put(taken)


@pytest.mark.slow
def test_concurrent_processes_never_share_a_camera_serial(settings: Settings, engine: Engine) -> None:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    workers = [ctx.Process(target=_serial_worker, args=(settings.model_dump_json(), 20, queue)) for _ in range(3)]
    for w in workers:
        w.start()
    serials = sorted(s for _ in workers for s in queue.get(timeout=120))
    for w in workers:
        w.join(timeout=30)
    assert serials == list(range(1, 181))
