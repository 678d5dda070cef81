"""The ``helpbot`` command: serve, work, inbox, train, classify, ask, evaluate, cases,
tenants, moderation, staff, privacy, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from helpbot.config import Settings, SettingsError, load_settings
from helpbot.log_privacy import configure_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpbot", description="SHAL's tenant helpdesk bot (policy: social media policy v1.0)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="run the bot: web chat always, Telegram when a token is set"
    )
    serve.add_argument(
        "--polling",
        action="store_true",
        help="use getUpdates long polling even when HELPBOT_WEBHOOK_URL is set",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes sharing the inbox and outbox (PostgreSQL only; default 1)",
    )
    commands.add_parser(
        "work", help="a worker process only: handle events and send, receive nothing"
    )

    inbox = commands.add_parser(
        "inbox", help="events waiting, parked (failed repeatedly) and the oldest waiting"
    )
    inbox_commands = inbox.add_subparsers(dest="inbox_command", metavar="INBOX_COMMAND")
    inbox_list = inbox_commands.add_parser("list", help="list waiting and parked events")
    inbox_list.add_argument("--status", choices=["pending", "parked"], help="only these")
    inbox_retry = inbox_commands.add_parser("retry", help="put a parked event back in line")
    inbox_retry.add_argument("id", type=int, help="the event's number, from `helpbot inbox`")

    train = commands.add_parser("train", help="train the intent pipeline from intents/")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--output", type=Path, help="where to write it (default: settings)")

    commands.add_parser(
        "classify",
        help="read messages one per line on stdin; write JSON lines with intent, scores, why",
    )

    ask = commands.add_parser(
        "ask", help="print the reply a tenant gets for TEXT as a first private message"
    )
    ask.add_argument("text", nargs="?", help="the tenant's message")
    ask.add_argument(
        "--jsonl", action="store_true", help="read messages one per line on stdin; write JSON lines"
    )

    evaluate = commands.add_parser(
        "evaluate", help="score the trained pipeline on the held-out split"
    )
    evaluate.add_argument("--plot", type=Path, help="save the confusion matrix as a PNG")
    evaluate.add_argument(
        "--speed", action="store_true", help="also measure latency, throughput, size, load time"
    )
    evaluate.add_argument(
        "--reliability", type=Path, help="where to save the reliability diagram (PNG)"
    )
    evaluate.add_argument(
        "--splits",
        help="only these evaluation folders, comma-separated (e.g. heldout,challenge13)",
    )
    evaluate.add_argument(
        "--compare",
        action="store_true",
        help="first retrain every representation side by side (minutes) and record the table",
    )

    cases = commands.add_parser("cases", help="case history for staff")
    case_commands = cases.add_subparsers(
        dest="cases_command", required=True, metavar="CASES_COMMAND"
    )
    case_list = case_commands.add_parser("list", help="list cases")
    case_list.add_argument("--status", choices=["open", "resolved", "closed"], help="only these")
    case_show = case_commands.add_parser("show", help="a case's details and full timeline")
    case_show.add_argument("ref", help="case reference, e.g. SHAL-00001")

    tenants = commands.add_parser("tenants", help="the tenancy register (who may join groups)")
    tenant_commands = tenants.add_subparsers(
        dest="tenants_command", required=True, metavar="TENANTS_COMMAND"
    )
    tenant_import = tenant_commands.add_parser(
        "import",
        help="replace the register with a CSV file of every tenancy (all rows or none)",
        description=(
            "Columns (header row required): tenancy_ref, postcode, tenants, occupants, "
            "start_date, end_date. Several names are separated by ';'. Dates are "
            "YYYY-MM-DD or DD/MM/YYYY; an empty end_date means the tenancy is current. "
            "The file is the whole register: tenancies in it are added or updated, and "
            "tenancies not in it have ended (they no longer match a current tenant). A "
            "bad row is reported by line number and nothing from the file is kept."
        ),
    )
    tenant_import.add_argument("file", type=Path, help="the CSV file")
    tenant_import.add_argument(
        "--dry-run",
        action="store_true",
        help="only say how many tenancies would be added, changed and ended; keep nothing",
    )

    moderation = commands.add_parser("moderation", help="the community groups' moderation log")
    moderation_commands = moderation.add_subparsers(
        dest="moderation_command", required=True, metavar="MODERATION_COMMAND"
    )
    moderation_log = moderation_commands.add_parser(
        "log", help="warnings, removals, blocks, held posts and restrictions, oldest first"
    )
    moderation_log.add_argument("--limit", type=int, default=200, help="latest N (default 200)")
    moderation_log.add_argument("--action", help="only this action, e.g. warn or block")

    staff = commands.add_parser("staff", help="colleagues' staff console accounts")
    staff_commands = staff.add_subparsers(
        dest="staff_command", required=True, metavar="STAFF_COMMAND"
    )
    staff_add = staff_commands.add_parser(
        "add", help="add a colleague; prints a one-time set-password link"
    )
    staff_add.add_argument("email")
    staff_add.add_argument("--role", choices=["officer", "lead", "admin"], default="officer")
    staff_add.add_argument("--name", default="", help="first name shown to tenants")
    staff_add.add_argument(
        "--telegram-id", help="their Telegram user id, so both places are one person"
    )
    staff_disable = staff_commands.add_parser(
        "disable", help="stop an account signing in; ends its sessions"
    )
    staff_disable.add_argument("email")

    privacy = commands.add_parser("privacy", help="UK GDPR retention")
    privacy_commands = privacy.add_subparsers(
        dest="privacy_command", required=True, metavar="PRIVACY_COMMAND"
    )
    privacy_sweep = privacy_commands.add_parser(
        "sweep", help="anonymise old closed cases, delete old raw payloads (daily anyway)"
    )
    privacy_sweep.add_argument(
        "--dry-run", action="store_true", help="count what would change; change nothing"
    )

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply migrations to HELPBOT_DATABASE_URL")
    return parser


def _stdin_lines() -> list[str]:
    return [line.rstrip("\r\n") for line in sys.stdin]


def _classify(settings: Settings) -> int:
    from helpbot.serve import load_understanding

    understanding = load_understanding(settings)
    lines = _stdin_lines()
    for text, result in zip(lines, understanding.classify_many(lines), strict=True):
        record = {
            "text": text,
            "intent": result.intent,
            "scores": dict(result.scores),
            "why": result.why,
        }
        if result.language:  # plainly not English: the model did not read it
            record["language"] = result.language
        print(json.dumps(record, ensure_ascii=False))
    return 0


async def _ask(settings: Settings, texts: list[str], jsonl: bool) -> int:
    """Runs the real desk on a throwaway in-memory store, one fresh chat per message."""
    from helpbot.channels.webchat import WebChat
    from helpbot.desk.actions import SendText
    from helpbot.desk.events import ChatKind, ChatRef, Person
    from helpbot.serve import build_desk, load_understanding
    from helpbot.store.records import Store

    understanding = await asyncio.to_thread(load_understanding, settings)
    store = Store.from_url("sqlite+aiosqlite://")
    await store.create_all()
    desk = build_desk(settings, store, understanding)
    try:
        for number, text in enumerate(texts, start=1):
            who = Person(channel="cli", external_id=str(number), first_name="")
            where = ChatRef(channel="cli", external_id=str(number), kind=ChatKind.PRIVATE)
            actions = await desk.handle(WebChat._event(who, where, text))
            replies = [a for a in actions if isinstance(a, SendText)]
            reply = "\n\n".join(a.text for a in replies)
            intent = next((a.intent for a in replies if a.intent), None)
            why = ""
            if text.strip() and not text.strip().startswith("/"):
                classification = understanding.classify(text)
                intent = intent or classification.intent
                why = classification.why
            if jsonl:
                record = {"text": text, "intent": intent, "reply": reply, "why": why}
                print(json.dumps(record, ensure_ascii=False))
            else:
                print(reply)
    finally:
        await store.close()
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from helpbot.serve import serve_processes

        if args.workers < 1:
            print("helpbot: --workers must be 1 or more", file=sys.stderr)
            return 2
        return serve_processes(settings, args.workers, polling=True if args.polling else None)
    if args.command == "work":
        from helpbot.serve import work

        return asyncio.run(work(settings))
    if args.command == "inbox":
        from helpbot.inbox_report import print_inbox, retry_event
        from helpbot.store.database import upgrade

        upgrade(settings.database_url)
        if args.inbox_command == "retry":
            return asyncio.run(retry_event(settings.database_url, args.id, sys.stdout))
        status = getattr(args, "status", None)
        return asyncio.run(print_inbox(settings.database_url, sys.stdout, status))
    if args.command == "train":
        from helpbot.nlu.training import train

        output = args.output or settings.pipeline_dir
        train(settings.intents_dir, output, seed=args.seed, verbose=True)
        print(f"trained pipeline written to {output}")
        return 0
    if args.command == "classify":
        return _classify(settings)
    if args.command == "ask":
        if args.jsonl:
            return asyncio.run(_ask(settings, _stdin_lines(), jsonl=True))
        if args.text is None:
            print(
                "helpbot ask: give the message as TEXT, or use --jsonl with stdin", file=sys.stderr
            )
            return 2
        return asyncio.run(_ask(settings, [args.text], jsonl=False))
    if args.command == "evaluate":
        from helpbot.nlu.evaluation import evaluate

        if args.compare:
            from helpbot.nlu.comparison import compare

            compare(settings.intents_dir, settings.pipeline_dir.parent / "representations")
        return evaluate(
            settings.pipeline_dir,
            settings.intents_dir,
            plot=args.plot,
            speed=args.speed,
            reliability=args.reliability,
            splits=[s.strip() for s in args.splits.split(",") if s.strip()]
            if args.splits
            else None,
        )
    if args.command == "cases":
        from helpbot.printouts.casefile import list_cases, show_case
        from helpbot.store.database import upgrade

        upgrade(settings.database_url)
        if args.cases_command == "list":
            return asyncio.run(list_cases(settings.database_url, sys.stdout, args.status))
        return asyncio.run(show_case(settings.database_url, args.ref, sys.stdout))
    if args.command in ("tenants", "moderation"):
        from helpbot.printouts.community_records import import_tenancies, print_moderation_log
        from helpbot.store.database import upgrade

        upgrade(settings.database_url)
        if args.command == "tenants":
            return asyncio.run(
                import_tenancies(
                    settings.database_url, args.file, sys.stdout, sys.stderr, dry_run=args.dry_run
                )
            )
        return asyncio.run(
            print_moderation_log(settings.database_url, sys.stdout, args.limit, args.action)
        )
    if args.command in ("staff", "privacy"):
        from helpbot.store.database import upgrade
        from helpbot.web.console import operator_commands

        upgrade(settings.database_url)
        if args.command == "privacy":
            return asyncio.run(
                operator_commands.sweep(settings.database_url, args.dry_run, sys.stdout)
            )
        if args.staff_command == "disable":
            return asyncio.run(
                operator_commands.disable_staff(
                    settings.database_url, args.email, sys.stdout, sys.stderr
                )
            )
        return asyncio.run(
            operator_commands.add_staff(
                settings.database_url,
                args.email,
                args.role,
                args.name,
                args.telegram_id,
                f"http://{settings.host}:{settings.port}",
                sys.stdout,
                sys.stderr,
            )
        )
    if args.command == "db" and args.db_command == "upgrade":
        from helpbot.store.database import upgrade

        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    raise AssertionError(f"unhandled command {args.command}")


# A serving process reads many messages at once, each a few small matrix products in the
# sentence encoder: one BLAS thread per process. Two threads per process on two cores
# spent a third more CPU per message, and with `serve --workers 2` four threads fought
# over two cores, so two workers were slower than one (README, Speed). Set before numpy
# is first imported; an operator's own setting wins.
SERVING = ("serve", "work")


def one_blas_thread() -> None:
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in SERVING:
        one_blas_thread()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"helpbot: setting {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return _run(args, settings)
    except KeyboardInterrupt:
        return 130
