"""Annotation in Label Studio: the server, the labeling configuration made from the
ontology, pushing documents as tasks and pulling annotations back as records.

Modules: ``server`` (install, start, stop, credentials), ``labelconfig`` (XML from the
ontology), ``convert`` (result JSON <-> Annotation), ``push``, ``pull``.
"""
