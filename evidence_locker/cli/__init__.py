"""The command line: a thin typer shell over :class:`evidence_locker.Locker`.

``main`` turns every :class:`~evidence_locker.errors.LockerError` into one line on
stderr (``evidence-locker: error: ...`` plus an optional ``hint:`` line) and an exit
code: 2 for usage errors, 1 for failures. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    import typer

    # typer >= 0.23 carries its own copy of click; find its ClickException either way.
    click_exception = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

    from evidence_locker.cli.app import build_app
    from evidence_locker.cli.context import STATE
    from evidence_locker.errors import LockerError
    from evidence_locker.locale.messages import detect_lang, t

    os.umask(0o077)  # nothing this process writes is readable by others
    STATE.reset()
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or bool(os.environ.get("EVIDENCE_LOCKER_DEBUG"))
    app = build_app(args)
    code = 0
    try:
        result = app(args=args, prog_name="evidence-locker", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except LockerError as exc:
        lang = STATE.lang if STATE.lang else detect_lang()
        print(f"evidence-locker: {t('cli.error', lang)}: {exc.render(lang)}", file=sys.stderr)
        hint = exc.render_hint(lang)
        if hint:
            print(f"{t('cli.hint', lang)}: {hint}", file=sys.stderr)
        if debug:
            raise
        code = exc.exit_code
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        print("", file=sys.stderr)
        code = 130
    except click_exception as exc:
        exc.show()
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:
        if debug:
            raise
        lang = STATE.lang or detect_lang()
        print(
            f"evidence-locker: {t('cli.internal_error', lang)}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        print(f"{t('cli.hint', lang)}: {t('hint.debug', lang)}", file=sys.stderr)
        code = 1
    finally:
        STATE.close()
    return code


def run() -> None:
    sys.exit(main())
