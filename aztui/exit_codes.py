"""Every exit code aztui returns, in one place (a public contract: values never change).

    code  name                when
    ----  ------------------  -----------------------------------------------------------------
       0  EXIT_OK             done; a dry run; nothing failed (doctor warnings pass)
       1  EXIT_FAILED         an Azure error, a failed check or delete, a refused profile
       2  EXIT_BAD_INPUT      bad input: command line, profiles file, unknown profile, target,
                              duration, regex, plan file (edited, or made for another profile)
       3  EXIT_NOTHING        `cache gc`: nothing to do (empty plan, nothing deleted or failed)
       4  EXIT_PARTLY         `cache gc --execute`: some deletes failed (see the journal)
     130  EXIT_INTERRUPTED    Ctrl-C (128 + SIGINT)

An `AztuiError` carries its own `exit_code` (EXIT_FAILED unless its class says otherwise);
the CLI returns it.
"""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOTHING = 3
EXIT_PARTLY = 4
EXIT_INTERRUPTED = 130
