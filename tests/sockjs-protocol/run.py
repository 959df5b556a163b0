#!/usr/bin/env python3
"""Runs sockjs-protocol.py (beside this file) against SOCKJS_URL, leaving out the tests listed in
excluded.txt (each one with its reason in the README), and prints "N passed, M failed" last."""
import importlib.util
import os
import sys
import unittest

sys.dont_write_bytecode = True  # nothing written into the source tree
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
spec = importlib.util.spec_from_file_location('sockjs_protocol', os.path.join(here, 'sockjs-protocol.py'))
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

excluded = set()
with open(os.path.join(here, 'excluded.txt')) as listing:
    for line in listing:
        line = line.split('#', 1)[0].strip()
        if line:
            excluded.add(line)


def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


everything = list(flatten(unittest.defaultTestLoader.loadTestsFromModule(module)))
names = {'%s.%s' % (type(test).__name__, test._testMethodName) for test in everything}
unknown = excluded - names
if unknown:
    print('excluded.txt names tests the suite does not have: %s' % ', '.join(sorted(unknown)))
    sys.exit(2)
selected = [t for t in everything
            if '%s.%s' % (type(t).__name__, t._testMethodName) not in excluded]
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(unittest.TestSuite(selected))
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
print('%d passed, %d failed (%d excluded)' % (result.testsRun - failed, failed, len(excluded)))
sys.exit(0 if failed == 0 else 1)
