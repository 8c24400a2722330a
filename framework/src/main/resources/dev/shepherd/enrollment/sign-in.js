// Posts the one-time code to the enrollment client at once, as MS-MDE2's sign-in pages do; the button is for a
// client that runs no script.
document.getElementById('return').submit();
