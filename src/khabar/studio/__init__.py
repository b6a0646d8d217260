"""Label Studio: the one client that talks to the server, the settings it reads, the rule
pre-annotator whose predictions come with every task, push and sync of tasks, annotations and
predictions, and the least-confident-first queue.
"""
