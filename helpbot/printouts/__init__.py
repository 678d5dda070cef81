"""What ``helpbot`` prints for staff at the command line: case files, the moderation log,
the register import. For colleagues' terminals only, never for logs."""
