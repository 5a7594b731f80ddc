"""The security suite: every attack a practice's contact data meets, as the attacker makes it.

Each test drives the real sandbox process (``tests/sandbox_harness.py``) or the real
``contacts-migration`` command, and asserts the attack fails. Read it as an index:

Attacks that once worked (issue #14), one module each:

1. plain ``http://`` service address ............... test_transport.py
2. DNS rebinding reads the contacts page ............ test_host_header.py
3. a big token form stalls the service .............. test_token_route.py
4. unbounded error answers .......................... test_error_sizes.py
5. token guessing is never throttled ................ test_throttle.py
6. secrets file left world-readable ................. test_private_files.py
7. missing security headers ......................... test_headers.py
8. forged log lines ................................. test_log_injection.py
9. diagnostics scrubber gaps ........................ test_diagnostics_scrub.py
10. expired tokens kept in memory ................... test_token_route.py
11. the ``read`` scope and tax file numbers ......... test_read_scope.py

Attacks that got through the first round's defences (issue #22), one module each:

1. a read token derives TFNs from document hashes .. test_read_token_derives_tfn.py
2. a decompression bomb in an answer .............. test_answer_bomb.py
3. plain http to "loopback" through a proxy ....... test_plain_http_proxy.py
4. service text drives the terminal ............... test_terminal_injection.py
5. the database password in the process list ...... test_db_password_argument.py
6. the support zip leaks, round two ............... test_support_zip_leaks.py
7. the log file follows a planted symlink ......... test_log_symlink.py
8. rotating a secret on a running service ......... test_rotate_running.py
10. ``Checkpoint-Wait: nan`` holds a request ....... test_checkpoint_wait_header.py
11. advice to switch certificate checks off ....... test_no_advice_to_disable_verification.py
12. unbounded tokens, stalled headers ............. test_token_minting_and_slow_headers.py

(9, the contacts page without sign-in, belongs to issue #21's sign-in page and sessions;
SECURITY.md says what another local account can and cannot see.)

The nine that held, so they keep holding: test_held.py (new tests, plus an index of the
existing tests elsewhere that already cover them, checked to still exist).
"""
