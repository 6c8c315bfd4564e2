import { SignJWT } from 'jose';
console.log(await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject('bench').setIssuedAt().setExpirationTime(Math.floor(Date.now()/1000)+3600).sign(new TextEncoder().encode('benchmark-secret-0123456789-abcdefghijklmnop')));
