"""Helpers tests share: throwaway servers (PostgreSQL) and the like."""
