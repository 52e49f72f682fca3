"""shardcheck's checkers: the command line, the explorer, the proofs and the oracle.

Everything here reads the rules from ``model``; nothing restates them.
"""
