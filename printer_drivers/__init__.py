"""printer_drivers"""
