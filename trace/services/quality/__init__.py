"""Who vouches for a batch's quality: laboratories, supervisory samples, and results through lineage.

- ``laboratories``: what a test result must state of who signed it (basis), checked when recorded;
  test requests addressed to a laboratory.
- ``results``: a batch's test results and those of every batch it was made from, each with who
  signed it; the endorsements and cautions the page's verdict (services/verification) carries.
"""
