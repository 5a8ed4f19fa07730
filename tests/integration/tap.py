# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs unittest test cases and reports them as TAP on stdout, for meson."""

import sys
import traceback
import unittest


class TapResult(unittest.TestResult):
    """One TAP line per test method, printed when it ends; a failing subTest fails it."""

    def __init__(self):
        super().__init__()
        self.number = 0
        self.problems = []
        self.skip_reason = None

    def startTest(self, test):
        super().startTest(test)
        self.problems = []
        self.skip_reason = None

    def _record(self, err, label=""):
        text = "".join(traceback.format_exception(*err))
        self.problems.append(f"{label}{text}")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(err)

    def addError(self, test, err):
        super().addError(test, err)
        self._record(err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._record(err, f"{subtest.id()}:\n")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.skip_reason = reason

    def stopTest(self, test):
        super().stopTest(test)
        self.number += 1
        name = test.id().split(".")[-1]
        if self.skip_reason is not None:
            print(f"ok {self.number} - {name} # SKIP {self.skip_reason}", flush=True)
        elif self.problems:
            print(f"not ok {self.number} - {name}", flush=True)
            for problem in self.problems:
                for line in problem.splitlines():
                    print(f"# {line}", flush=True)
        else:
            print(f"ok {self.number} - {name}", flush=True)


def main(*test_classes):
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in test_classes)
    print(f"1..{suite.countTestCases()}", flush=True)
    result = TapResult()
    suite.run(result)
    sys.exit(0 if result.wasSuccessful() else 1)
